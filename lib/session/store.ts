import { createHash, randomBytes } from "node:crypto";
import { MAX_SESSIONS_PER_PERSON } from "@/common/session-cap.ts";
import { type Database, rawQueries } from "@/db/client.ts";
import { changesOneRow, insertRow } from "@/db/raw.ts";
import { SESSION_ROW } from "@/lib/db/rows.ts";
import { deleteInBatches, PURGE_BATCH } from "@/lib/housekeeping/batches.ts";
import { BROWSER_SESSION_SECONDS, REMEMBER_ME_SECONDS } from "./lifetimes.ts";

/** One signed-in browser, as the app and its pages see it (never the secret session id). */
export interface AppSession {
  /** Public id of the session: the OpenID Connect `sid` claim, and what a page names to end it. */
  sid: string;
  userId: string;
  createdAt: Date;
  /** When the person entered their password for this session. */
  authTime: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** "Remember me": the cookie outlives the browser session. */
  persistent: boolean;
  userAgent: string;
  ipAddress: string;
  /** How the person authenticated (RFC 8176 values, e.g. `pwd`). */
  amr: string[];
}

interface NewSession {
  userId: string;
  /**
   * The password hash the sign-in checked the password against: the session is stored only while
   * the account still has it (see PasswordChanged). Without it (a sign-in by other means), none.
   */
  passwordHash?: string;
  persistent: boolean;
  userAgent?: string;
  ipAddress?: string;
  amr?: string[];
}

export { BROWSER_SESSION_SECONDS, REMEMBER_ME_SECONDS };

/** lastSeenAt is written at most this often, so reading pages does not turn into a write each. */
const TOUCH_EVERY_MS = 60_000;
/** Free text from the browser is cut to this length before it is stored. */
const USER_AGENT_MAX = 512;

/** A sign-in past the cap ends the person's least recently used sessions (see create). */
export { MAX_SESSIONS_PER_PERSON };

/**
 * A sign-in whose password the account no longer has: it was changed (or reset) between the
 * check and the session's write. Nothing is stored: a change of password ends every other
 * session, and one started on the old password must not outlive it by committing after it.
 */
export class PasswordChanged extends Error {
  constructor() {
    super("The password was changed during the sign-in");
  }
}

/** The table keeps only a hash of the secret session id: a copy of the table signs no one in. */
export function sessionIdHash(secretId: string): string {
  return createHash("sha256").update(secretId).digest("base64url");
}

type Row = {
  sid: string;
  userId: string;
  createdAt: Date;
  authTime: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  persistent: boolean;
  userAgent: string;
  ipAddress: string;
  amr: string;
};

function fromRow({ amr, ...row }: Row): AppSession {
  const parsed: unknown = JSON.parse(amr);
  return { ...row, amr: Array.isArray(parsed) ? parsed.filter((v) => typeof v === "string") : [] };
}

const FIELDS = {
  sid: true,
  userId: true,
  createdAt: true,
  authTime: true,
  lastSeenAt: true,
  expiresAt: true,
  persistent: true,
  userAgent: true,
  ipAddress: true,
  amr: true,
} as const;

/** A new session's secret id, the hash the table keeps, and its row. */
function newSession(input: NewSession, now: Date): { secretId: string; id: string; row: Row } {
  const secretId = randomBytes(32).toString("base64url");
  const lifetime = input.persistent ? REMEMBER_ME_SECONDS : BROWSER_SESSION_SECONDS;
  return {
    secretId,
    id: sessionIdHash(secretId),
    row: {
      sid: randomBytes(24).toString("base64url"),
      userId: input.userId,
      createdAt: now,
      authTime: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + lifetime * 1000),
      persistent: input.persistent,
      userAgent: (input.userAgent ?? "").slice(0, USER_AGENT_MAX),
      ipAddress: input.ipAddress ?? "",
      amr: JSON.stringify(input.amr ?? ["pwd"]),
    },
  };
}

/**
 * Server-side sessions of the login & consent app. The browser's sealed
 * cookie holds a random secret id; the record it names must exist and be
 * unexpired on every request, so deleting the record (sign-out, "sign out
 * everywhere", a password reset, deleting the person) ends the session even
 * for a copy of the cookie.
 */
export class SessionStore {
  constructor(private readonly db: Database) {}

  /**
   * A new session; `secretId` goes into the sealed cookie and nowhere else.
   * Every sign-in writes one: a prepared statement, not Prisma's create. In
   * the same transaction, the person's least recently used sessions past
   * MAX_SESSIONS_PER_PERSON end; `trimmed` are those that were still live
   * (the apps they signed in to are to be told), each one this call ended:
   * should one end meanwhile elsewhere, the transaction is tried again.
   * Throws PasswordChanged, storing nothing, when `passwordHash` is given
   * and the account no longer has it (or no longer exists).
   */
  async create(
    input: NewSession,
    now = new Date(),
  ): Promise<{ secretId: string; session: AppSession; trimmed: AppSession[] }> {
    const { secretId, id, row } = newSession(input, now);
    for (;;) {
      const excess = await this.db.session.findMany({
        where: { userId: input.userId },
        orderBy: [{ lastSeenAt: "desc" }, { createdAt: "desc" }, { id: "desc" }],
        skip: MAX_SESSIONS_PER_PERSON - 1,
        select: { id: true, ...FIELDS },
      });
      const refused = await rawQueries(this.db).transaction<"ended" | "password changed">([
        // First, the person's row, as every write of their password and their deletion take it
        // first: on PostgreSQL it waits for a change of password under way, and then finds the
        // new hash; on SQLite the transaction holds the write lock. So either this session is
        // stored before the change, which ends it, or not at all.
        ...(input.passwordHash === undefined
          ? []
          : [
              changesOneRow(
                `UPDATE "users" SET "passwordHash" = $1 WHERE "id" = $2 AND "passwordHash" = $3`,
                [input.passwordHash, input.userId, input.passwordHash],
                "password changed",
              ),
            ]),
        insertRow(SESSION_ROW, { id, ...row }),
        ...excess.map((old) => changesOneRow(`DELETE FROM "sessions" WHERE "id" = $1`, [old.id], "ended")),
      ]);
      if (refused === "password changed") throw new PasswordChanged();
      if (refused) continue;
      const trimmed = excess.filter((old) => old.expiresAt > now).map(({ id: _, ...old }) => fromRow(old));
      return { secretId, session: fromRow(row), trimmed };
    }
  }

  /**
   * A sign-in in a browser that may hold a session already (`previousSecretId`).
   * The secret id always changes (no session fixation). When that session
   * is the same person's and still live, it goes on under its public `sid`
   * with the new sign-in's time, browser and lifetime: the apps it signed in
   * to keep their sessions, and a later sign-out reaches them all. Any other
   * session of the browser ends; `ended` is the live one of another person
   * this sign-in ended (the apps it signed in to are to be told), never one
   * that had expired or that ended meanwhile elsewhere; `trimmed`, the
   * person's own live sessions a new one ended (see create).
   */
  async signIn(
    previousSecretId: string | undefined,
    input: NewSession,
    now = new Date(),
  ): Promise<{ secretId: string; session: AppSession; ended?: AppSession; trimmed: AppSession[] }> {
    const previousId = previousSecretId === undefined ? undefined : sessionIdHash(previousSecretId);
    const previous = previousId ? await rawQueries(this.db).rowByKey(SESSION_ROW, previousId) : null;
    if (!previous || !previousId) return this.create(input, now);
    const live = previous.expiresAt > now;
    if (live && previous.userId === input.userId) {
      const { secretId, id, row } = newSession(input, now);
      const continued = { ...row, sid: previous.sid, createdAt: previous.createdAt };
      // One statement, on the row only while it lives: a session ended meanwhile is not revived.
      const refused = await rawQueries(this.db).transaction([
        changesOneRow(
          `UPDATE "sessions" SET "id" = $1, "authTime" = $2, "lastSeenAt" = $3, "expiresAt" = $4, "persistent" = $5, "userAgent" = $6, "ipAddress" = $7, "amr" = $8 WHERE "id" = $9 AND "userId" = $10 AND "expiresAt" > $11`,
          [
            id,
            continued.authTime,
            continued.lastSeenAt,
            continued.expiresAt,
            continued.persistent,
            continued.userAgent,
            continued.ipAddress,
            continued.amr,
            previousId,
            input.userId,
            now,
          ],
          "ended",
        ),
      ]);
      if (!refused) return { secretId, session: fromRow(continued), trimmed: [] };
      return this.create(input, now);
    }
    const { count } = await this.db.session.deleteMany({ where: { id: previousId } });
    const created = await this.create(input, now);
    const { id: _, ...ended } = previous;
    return live && count > 0 ? { ...created, ended: fromRow(ended) } : created;
  }

  /** The live session a cookie's secret id names, or null; notes that it was seen. */
  async findActive(secretId: string, now = new Date()): Promise<AppSession | null> {
    const id = sessionIdHash(secretId);
    // Every page of a signed-in person reads this: a prepared statement, not Prisma's findUnique.
    const row = await rawQueries(this.db).rowByKey(SESSION_ROW, id);
    if (!row || row.expiresAt <= now) return null;
    if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await this.db.session.updateMany({ where: { id }, data: { lastSeenAt: now } });
      row.lastSeenAt = now;
    }
    const { id: _, ...fields } = row;
    return fromRow(fields);
  }

  /** Ends the session a cookie's secret id names (sign-out). */
  async delete(secretId: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id: sessionIdHash(secretId) } });
  }

  /** The person's live sessions, most recently used first. */
  async list(userId: string, now = new Date()): Promise<AppSession[]> {
    const rows = await this.db.session.findMany({
      where: { userId, expiresAt: { gt: now } },
      orderBy: { lastSeenAt: "desc" },
      select: FIELDS,
    });
    return rows.map(fromRow);
  }

  /** Ends one of the person's live sessions by its public `sid`; false when they have none such. */
  async end(userId: string, sid: string, now = new Date()): Promise<boolean> {
    return (await this.db.session.deleteMany({ where: { userId, sid, expiresAt: { gt: now } } })).count > 0;
  }

  /** Ends every session of the person but `keepSid`'s; how many ended. */
  async endOthers(userId: string, keepSid: string): Promise<number> {
    return (await this.db.session.deleteMany({ where: { userId, sid: { not: keepSid } } })).count;
  }

  /** Ends every session of the person; how many ended. */
  async endAll(userId: string): Promise<number> {
    return (await this.db.session.deleteMany({ where: { userId } })).count;
  }

  /**
   * Deletes expired records (housekeeping); how many. An expiry is not
   * reported to the server: nobody is sent a logout token for it (README,
   * Back-Channel Logout).
   */
  async purgeExpired(now = new Date(), batch = PURGE_BATCH): Promise<number> {
    const expired = { expiresAt: { lte: now } };
    return deleteInBatches(
      async (take) =>
        (
          await this.db.session.findMany({
            where: expired,
            select: { id: true },
            orderBy: { expiresAt: "asc" },
            take,
          })
        ).map((row) => row.id),
      async (ids) => (await this.db.session.deleteMany({ where: { id: { in: ids }, ...expired } })).count,
      batch,
    );
  }
}
