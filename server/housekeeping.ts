import { describeError, type Logger } from "@/common/log.ts";
import { repeatWithoutOverlap } from "@/common/repeat.ts";
import type { Database } from "@/db/client.ts";
import type { Config } from "./config/config.ts";

const DAY = 86_400_000;

/** Rows deleted per statement: each batch is its own short transaction. */
const PURGE_BATCH = 500;

/**
 * Batches of authorization grants one purge looks at, at most (10,000 grants
 * at the default batch): the next purge goes on where it stopped.
 */
const GRANT_BATCHES_PER_RUN = 20;

/** Lets other requests (and, on SQLite, other writers) in between two batches. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deletes every row `select` finds, `batch` keys at a time: each delete is
 * one short statement (no transaction held across batches), found through
 * the indexes on expiresAt, revokedAt, usedAt and issuedAt, so SQLite's
 * write lock is never held for long. Returns how many rows it deleted.
 */
async function deleteInBatches<Key>(
  select: (take: number) => Promise<Key[]>,
  remove: (keys: Key[]) => Promise<number>,
  batch: number,
): Promise<number> {
  let removed = 0;
  for (;;) {
    const keys = await select(batch);
    if (keys.length > 0) removed += await remove(keys);
    if (keys.length < batch) return removed;
    await yieldTurn();
  }
}

/**
 * Deletes flow state nobody can use any more, so unused consent requests,
 * codes and tokens do not pile up. Used codes are kept a day past their
 * expiry and rotated refresh tokens until their lifespan is over, because
 * presenting one again is how a replay is detected and its grant revoked.
 * Idempotent: every instance may run it, and each batch stands on its own
 * (the conditions are checked again in the delete), so an interrupted purge
 * only leaves work for the next one.
 */
export async function purgeExpired(
  db: Database,
  config: Config,
  now = Date.now(),
  batch = PURGE_BATCH,
  grantBatches = GRANT_BATCHES_PER_RUN,
): Promise<Record<string, number>> {
  const dayAgo = new Date(now - DAY);
  const monthAgo = new Date(now - 30 * DAY);
  // Each batch is read in the order of the date its condition is on: left to Prisma, a page is read
  // in key order (it orders by the primary key), which SQLite answers by walking the whole table in
  // that order, however few rows are due (a full scan per condition and run, holding the event loop,
  // as better-sqlite3 is synchronous); in the date's order it reads just the due rows of its index.
  const byExpiry = { expiresAt: "asc" as const };
  // An expired request nobody used is worth nothing: it goes at once (anyone can make them, so they
  // must not pile up); a used one stays a day, for the record of what was decided.
  const consentConditions = [
    { usedAt: null, expiresAt: { lt: new Date(now) } },
    { expiresAt: { lt: dayAgo } },
  ];
  let consentRequests = 0;
  for (const where of consentConditions) {
    consentRequests += await deleteInBatches(
      async (take) =>
        (await db.consentRequest.findMany({ where, select: { id: true }, orderBy: byExpiry, take })).map(
          (row) => row.id,
        ),
      async (ids) => (await db.consentRequest.deleteMany({ where: { id: { in: ids }, ...where } })).count,
      batch,
    );
  }
  const codes = await deleteInBatches(
    async (take) =>
      (
        await db.authorizationCode.findMany({
          where: { expiresAt: { lt: dayAgo } },
          select: { hash: true },
          orderBy: byExpiry,
          take,
        })
      ).map((row) => row.hash),
    async (hashes) =>
      (await db.authorizationCode.deleteMany({ where: { hash: { in: hashes }, expiresAt: { lt: dayAgo } } }))
        .count,
    batch,
  );
  const accessTokens = await deleteInBatches(
    async (take) =>
      (
        await db.accessToken.findMany({
          where: { expiresAt: { lt: dayAgo } },
          select: { hash: true },
          orderBy: byExpiry,
          take,
        })
      ).map((row) => row.hash),
    async (hashes) =>
      (await db.accessToken.deleteMany({ where: { hash: { in: hashes }, expiresAt: { lt: dayAgo } } })).count,
    batch,
  );
  // One pass per condition, each through its own index; a row two conditions match is deleted once.
  // A rotated (used) token is kept as long as it would have lived unused: the app it was issued to may
  // come back with it until then, and that is how a family a thief refreshed first is found and
  // revoked. Deleted a month after its use, a token of a longer REFRESH_TOKEN_LIFESPAN came back
  // unknown (invalid_grant, nothing revoked) while the thief's tokens went on.
  const refreshConditions = [
    { where: { revokedAt: { lt: dayAgo } }, orderBy: { revokedAt: "asc" as const } },
    config.refreshTokenLifespanMs > 0
      ? {
          where: { issuedAt: { lt: new Date(now - config.refreshTokenLifespanMs - DAY) } },
          orderBy: { issuedAt: "asc" as const },
        }
      : { where: { usedAt: { lt: monthAgo } }, orderBy: { usedAt: "asc" as const } },
  ];
  let refreshTokens = 0;
  for (const { where, orderBy } of refreshConditions) {
    refreshTokens += await deleteInBatches(
      async (take) =>
        (await db.refreshToken.findMany({ where, select: { hash: true }, orderBy, take })).map(
          (row) => row.hash,
        ),
      async (hashes) =>
        (await db.refreshToken.deleteMany({ where: { hash: { in: hashes }, ...where } })).count,
      batch,
    );
  }
  const grants = await purgeGrants(db, monthAgo, batch, grantBatches);
  const revokedGrants = await purgeRevokedGrants(db, dayAgo, batch);
  // Likewise a sign-out request nobody decided is dead once expired (anyone can make them), while a
  // decided one stays a day: an accepted one may still be used by the browser's return.
  const logoutConditions = [
    { status: "pending", expiresAt: { lt: new Date(now) } },
    { expiresAt: { lt: dayAgo } },
  ];
  let logoutRequests = 0;
  for (const where of logoutConditions) {
    logoutRequests += await deleteInBatches(
      async (take) =>
        (await db.logoutRequest.findMany({ where, select: { id: true }, orderBy: byExpiry, take })).map(
          (row) => row.id,
        ),
      async (ids) => (await db.logoutRequest.deleteMany({ where: { id: { in: ids }, ...where } })).count,
      batch,
    );
  }
  // Remembered logins of the Hydra 2.x flow, once they ended.
  const loginSessions = await deleteInBatches(
    async (take) =>
      (
        await db.loginSession.findMany({
          where: { expiresAt: { lt: new Date(now) } },
          select: { id: true },
          orderBy: byExpiry,
          take,
        })
      ).map((row) => row.id),
    async (ids) =>
      (await db.loginSession.deleteMany({ where: { id: { in: ids }, expiresAt: { lt: new Date(now) } } }))
        .count,
    batch,
  );
  // Consents the Hydra 2.x face remembered for a while, once that while is over (read as absent);
  // keyed by subject and client.
  const lapsed = { expiresAt: { lt: new Date(now) } };
  const rememberedConsents = await deleteInBatches(
    (take) =>
      db.rememberedConsent.findMany({
        where: lapsed,
        select: { subject: true, clientId: true },
        orderBy: byExpiry,
        take,
      }),
    async (keys) => (await db.rememberedConsent.deleteMany({ where: { ...lapsed, OR: keys } })).count,
    batch,
  );
  return {
    consentRequests,
    codes,
    accessTokens,
    refreshTokens,
    grants,
    revokedGrants,
    logoutRequests,
    loginSessions,
    rememberedConsents,
  };
}

/**
 * A grant's revocation mark (server/tokens/revoked-grants.ts) answers for the
 * tokens a request wrote while the revocation ran, which no step of it saw. A
 * day on, every such request has long ended: what is left of the grant is
 * revoked row by row (an unused code counts as used, so presenting it is a
 * replay) and the mark goes, in one transaction per batch.
 */
async function purgeRevokedGrants(db: Database, before: Date, batch: number): Promise<number> {
  return deleteInBatches(
    async (take) =>
      (
        await db.revokedGrant.findMany({
          where: { revokedAt: { lt: before } },
          select: { grantId: true },
          orderBy: { revokedAt: "asc" },
          take,
        })
      ).map((row) => row.grantId),
    async (ids) => {
      const now = new Date();
      const grantId = { in: ids };
      const [, , , removed] = await db.$transaction([
        db.accessToken.updateMany({ where: { grantId, revokedAt: null }, data: { revokedAt: now } }),
        db.refreshToken.updateMany({ where: { grantId, revokedAt: null }, data: { revokedAt: now } }),
        db.authorizationCode.updateMany({ where: { grantId, usedAt: null }, data: { usedAt: now } }),
        db.revokedGrant.deleteMany({ where: { grantId, revokedAt: { lt: before } } }),
      ]);
      return removed.count;
    },
    batch,
  );
}

/** Where each database's walk of its grants stopped in this process (undefined: at the start). */
const grantWalks = new WeakMap<Database, { after?: string }>();

/**
 * Authorization grants outlive their tokens by a month, because a relying
 * party's session does too and back-channel logout must still reach it; after
 * that, a grant with no code or token left goes. Walks by key (a grant that
 * still has tokens is stepped over), `maxBatches` batches per purge at most,
 * the next purge going on from there: every grant of an app still in use
 * stays older than a month with live tokens, so a walk of them all each
 * time cost every purge time in proportion to all the sign-ins still alive
 * (200,000 of them: about ten seconds, every ten minutes), whatever it found.
 */
async function purgeGrants(db: Database, before: Date, batch: number, maxBatches: number): Promise<number> {
  const walk = grantWalks.get(db) ?? {};
  grantWalks.set(db, walk);
  let removed = 0;
  for (let batches = 0; batches < maxBatches; batches++) {
    const rows = await db.authorizationGrant.findMany({
      where: { createdAt: { lt: before }, ...(walk.after ? { grantId: { gt: walk.after } } : {}) },
      select: { grantId: true },
      orderBy: { grantId: "asc" },
      take: batch,
    });
    if (rows.length === 0) {
      walk.after = undefined;
      return removed;
    }
    const ids = rows.map((row) => row.grantId);
    walk.after = ids[ids.length - 1];
    const alive = new Set(
      (
        await Promise.all([
          db.accessToken.findMany({ where: { grantId: { in: ids } }, select: { grantId: true } }),
          db.refreshToken.findMany({ where: { grantId: { in: ids } }, select: { grantId: true } }),
          db.authorizationCode.findMany({ where: { grantId: { in: ids } }, select: { grantId: true } }),
        ])
      )
        .flat()
        .map((row) => row.grantId),
    );
    const dead = ids.filter((id) => !alive.has(id));
    if (dead.length > 0) {
      removed += (await db.authorizationGrant.deleteMany({ where: { grantId: { in: dead } } })).count;
    }
    if (rows.length < batch) {
      walk.after = undefined;
      return removed;
    }
    await yieldTurn();
  }
  return removed;
}

/**
 * Runs purgeExpired now and then every `intervalMs`, logging what it removed;
 * a run that outlasts the interval is not joined by another.
 */
export function schedulePurge(
  db: Database,
  config: Config,
  log: Logger,
  intervalMs = 10 * 60_000,
): NodeJS.Timeout {
  const run = () =>
    purgeExpired(db, config)
      .then((removed) => {
        if (Object.values(removed).some((count) => count > 0)) log.info("purged expired flow state", removed);
      })
      .catch((error: unknown) => log.warn("purging expired flow state failed", describeError(error)));
  return repeatWithoutOverlap(run, intervalMs);
}
