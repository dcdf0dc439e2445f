import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import { MAX_SESSIONS_PER_PERSON } from "@/common/session-cap.ts";
import type { Database } from "@/db/client.ts";
import { changesOneRow, insertRow, type RowShape, type Write } from "@/db/raw.ts";
import type { LoginSession as LoginSessionRow } from "@/generated/prisma/sqlite/client.ts";
import type { SignIn } from "@/server/flow/model.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { hashToken } from "@/server/tokens/secrets.ts";

/** A remembered login with `remember_for: 0` lasts as long as the browser keeps the session cookie, at most this. */
const BROWSER_SESSION_MAX_MS = 30 * 24 * 3_600_000;
const COOKIE = "portico_login_session";
const COOKIE_PATH = "/oauth2";

/**
 * The longest a login or a consent is remembered: 400 days, the most a
 * browser keeps a cookie (RFC 6265bis caps Max-Age there). A longer
 * `remember_for` is cut to it, as Hydra cuts it to its session lifespan.
 */
export const MAX_REMEMBER_FOR_SECONDS = 400 * 24 * 3600;

const LOGIN_SESSION_ROW: RowShape<LoginSessionRow> = {
  name: "login_session",
  table: "login_sessions",
  key: "id",
  columns: {
    id: "text",
    subject: "text",
    authTime: "date",
    amr: "text",
    acr: "text",
    expiresAt: "date",
    createdAt: "date",
  },
};

/** How long a remembered login lives from now: `rememberFor` seconds, 0 for "this browser session". */
function loginLifetimeMs(rememberFor: number): number {
  return rememberFor > 0 ? Math.min(rememberFor, MAX_REMEMBER_FOR_SECONDS) * 1000 : BROWSER_SESSION_MAX_MS;
}

/** extend_session_lifespan: a live remembered login lives on from now (never one that has ended). */
const EXTEND_LOGIN = `UPDATE "login_sessions" SET "expiresAt" = $1 WHERE "id" = $2 AND "expiresAt" > $3`;

/** One login session ended by the cap, as a write that must change its row. */
const END_LOGIN = `DELETE FROM "login_sessions" WHERE "id" = $1`;

/** A remembered consent replaces the subject's earlier one for the client; `updatedAt` is the write's time. */
const REMEMBER_CONSENT = `INSERT INTO "remembered_consents"
  ("subject", "clientId", "scopes", "expiresAt", "consentRequestId", "createdAt", "updatedAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT ("subject", "clientId") DO UPDATE SET "scopes" = excluded."scopes",
  "expiresAt" = excluded."expiresAt", "consentRequestId" = excluded."consentRequestId",
  "updatedAt" = excluded."updatedAt"`;

interface LoginSession {
  id: string;
  subject: string;
  signIn: SignIn;
  expiresAt: Date;
}

/**
 * A remembered login as it stands: live; run out (`expired`: not ended, so a flow it covered when it
 * started may finish); or `ended` (its row is gone: signed out, or every login of its subject ended).
 */
type RememberedLogin = { state: "live"; login: LoginSession } | { state: "expired" } | { state: "ended" };

/**
 * The cookie of a remembered login: only /oauth2/auth and the end-session
 * endpoint (/oauth2/sessions/logout) read it; Lax, so the return from the
 * apps carries it.
 */
export function loginSessionCookie(
  secret: string,
  maxAgeSeconds: number | undefined,
  secure: boolean,
): string {
  return generateCookie(COOKIE, secret, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Lax",
    secure,
    ...(maxAgeSeconds !== undefined ? { maxAge: Math.min(maxAgeSeconds, MAX_REMEMBER_FOR_SECONDS) } : {}),
  });
}

/** Drops the remembered login from the browser (sign-out, or a new login that is not to be remembered). */
export function clearedLoginSessionCookie(secure: boolean): string {
  return generateCookie(COOKIE, "", {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Lax",
    secure,
    maxAge: 0,
  });
}

export function readLoginSessionCookie(c: Context): string | undefined {
  const value = getCookie(c, COOKIE);
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/**
 * Hydra's authentication sessions and remembered consents, for the 2.x
 * face. A login session is stored under an HMAC of the cookie's secret, so
 * the table holds nothing a browser could present.
 */
export class Hydra2Sessions {
  constructor(
    private readonly db: Database,
    private readonly hashKey: Buffer,
    private readonly secretKey: Buffer,
  ) {}

  /**
   * The cookie secret of the login session a login request starts, derived
   * from the request's id with a key of its own (as the step verifiers are):
   * only the server can compute it, and the session's id — a hash of it — is
   * known from the login step on, where Hydra shows it as `session_id`.
   */
  private secretFor(requestId: string): string {
    return hashToken(this.secretKey, `login-session:${requestId}`);
  }

  /** The id of the login session the request `requestId` starts when its login is accepted. */
  sessionIdFor(requestId: string): string {
    return hashToken(this.hashKey, this.secretFor(requestId));
  }

  /**
   * A new login session, not yet stored: the session, the cookie's secret
   * and the insert, for the transaction that verifies the login of the
   * request `requestId` (one request starts at most one session: of two
   * returns with its verifier, only one verifies). `rememberFor` 0 means
   * "this browser session".
   */
  newLogin(
    requestId: string,
    subject: string,
    signIn: SignIn,
    rememberFor: number,
  ): { session: LoginSession; secret: string; insert: Write } {
    const secret = this.secretFor(requestId);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + loginLifetimeMs(rememberFor));
    const id = hashToken(this.hashKey, secret);
    const insert = insertRow(LOGIN_SESSION_ROW, {
      id,
      subject,
      authTime: signIn.authTime,
      amr: JSON.stringify(signIn.amr),
      acr: signIn.acr ?? null,
      expiresAt,
      createdAt: now,
    });
    return { session: { id, subject, signIn, expiresAt }, secret, insert };
  }

  /**
   * The cap on a subject's login sessions (MAX_SESSIONS_PER_PERSON, as the app's own sign-in sessions
   * have), for the transaction that stores a new one: the deletes of the subject's oldest ones past
   * the cap, counting the new one (a login session records no later use, so the oldest begun goes
   * first), each of which must end its row, else the transaction is refused (`ended`: one ended
   * meanwhile elsewhere; read again and retry). `ended` are the ids of those still live, whose apps
   * are to be told (back-channel logout); an expired one goes without a word.
   */
  async trimming(subject: string): Promise<{ deletes: Write<"ended">[]; ended: string[] }> {
    const excess = await this.db.loginSession.findMany({
      where: { subject },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      skip: MAX_SESSIONS_PER_PERSON - 1,
      select: { id: true, expiresAt: true },
    });
    const now = Date.now();
    return {
      deletes: excess.map((old) => changesOneRow(END_LOGIN, [old.id], "ended")),
      ended: excess.filter((old) => old.expiresAt.getTime() > now).map((old) => old.id),
    };
  }

  /**
   * Hydra's extend_session_lifespan on a skipped login: the remembered login
   * `sessionId`, when the browser's cookie (`secret`) names it and it is still
   * live, lives `rememberFor` seconds from now (0: as long as a browser
   * session), as Hydra sets its cookie's Max-Age anew. The update, for the
   * transaction that verifies the login, and the cookie's secret to send again.
   */
  async extending(
    secret: string | undefined,
    sessionId: string,
    rememberFor: number,
  ): Promise<{ secret: string; update: Write } | undefined> {
    if (!secret || hashToken(this.hashKey, secret) !== sessionId) return undefined;
    if (!(await this.getLogin(sessionId))) return undefined;
    const now = new Date();
    const expiresAt = new Date(now.getTime() + loginLifetimeMs(rememberFor));
    return { secret, update: { sql: EXTEND_LOGIN, values: [expiresAt, sessionId, now] } };
  }

  /** The live session a cookie's secret names. */
  async findLogin(secret: string | undefined): Promise<LoginSession | null> {
    return secret ? this.getLogin(hashToken(this.hashKey, secret)) : null;
  }

  /** The live remembered login `id` (null: it ended or ran out). */
  async getLogin(id: string): Promise<LoginSession | null> {
    const found = await this.rememberedLogin(id);
    return found.state === "live" ? found.login : null;
  }

  /** The remembered login `id` as it stands (see RememberedLogin), in one read. */
  async rememberedLogin(id: string): Promise<RememberedLogin> {
    const row = await this.db.loginSession.findUnique({ where: { id } });
    if (!row) return { state: "ended" };
    if (row.expiresAt.getTime() <= Date.now()) return { state: "expired" };
    return {
      state: "live",
      login: {
        id: row.id,
        subject: row.subject,
        signIn: {
          authTime: row.authTime,
          amr: JSON.parse(row.amr) as string[],
          ...(row.acr ? { acr: row.acr } : {}),
        },
        expiresAt: row.expiresAt,
      },
    };
  }

  /**
   * Whether the login session `id` was ended (signed out, or every login of its subject ended): its
   * row is gone. Running out is not ending it: a flow it covered when it started may finish.
   */
  async ended(id: string): Promise<boolean> {
    return (await this.db.loginSession.count({ where: { id } })) === 0;
  }

  /** Ends remembered logins: every one of a subject, or one by its id. */
  async endLogins(where: { subject: string } | { id: string }): Promise<number> {
    const { count } = await this.db.loginSession.deleteMany({ where });
    return count;
  }

  /** Ends one login session, expired or not; answers whose it was (null: there was none). */
  async endLogin(id: string): Promise<{ subject: string } | null> {
    if (!id || id.length > 128) return null;
    const row = await this.db.loginSession.findUnique({ where: { id }, select: { subject: true } });
    if (!row) return null;
    await this.db.loginSession.deleteMany({ where: { id } });
    return row;
  }

  /**
   * Remembering a consent, as a write of the transaction that records it;
   * `rememberFor` 0: until revoked. Its expiry and `updatedAt` come from one
   * clock reading, so `rememberedConsents` reads `remember_for` back exactly.
   * The consent request is kept with it: revoking that request's consent
   * session (by consent_request_id) forgets it too.
   */
  remembering(
    subject: string,
    clientId: string,
    scopes: string[],
    rememberFor: number,
    consentRequestId: string,
  ): Write {
    const now = new Date();
    const seconds = Math.min(rememberFor, MAX_REMEMBER_FOR_SECONDS);
    const expiresAt = seconds > 0 ? new Date(now.getTime() + seconds * 1000) : null;
    return {
      sql: REMEMBER_CONSENT,
      values: [subject, clientId, scopes.join(" "), expiresAt, consentRequestId, now, now],
    };
  }

  /** The subject's live remembered consents, by client: for how long each was given (0: until revoked). */
  async rememberedConsents(
    subject: string,
    clientIds: string[],
  ): Promise<Map<string, { rememberFor: number }>> {
    const rows = await this.db.rememberedConsent.findMany({
      where: {
        subject,
        clientId: { in: clientIds },
        OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
      },
      select: { clientId: true, expiresAt: true, updatedAt: true },
    });
    return new Map(
      rows.map((row) => [
        row.clientId,
        {
          rememberFor: row.expiresAt
            ? Math.round((row.expiresAt.getTime() - row.updatedAt.getTime()) / 1000)
            : 0,
        },
      ]),
    );
  }

  /** Whether a remembered consent of the subject for the client covers every one of `scopes`. */
  async consentCovers(subject: string, clientId: string, scopes: string[]): Promise<boolean> {
    const row = await this.db.rememberedConsent.findUnique({
      where: { subject_clientId: { subject, clientId } },
    });
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return false;
    const granted = splitScopes(row.scopes);
    return scopes.every((scope) => granted.includes(scope));
  }
}
