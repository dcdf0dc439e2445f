import type { Database } from "../db/client.ts";
import type { Config } from "./config/config.ts";
import { describeError, type Logger } from "./log.ts";

const DAY = 86_400_000;

/**
 * Deletes flow state nobody can use any more, so unused consent requests,
 * codes and tokens do not pile up. Used codes and rotated refresh tokens are
 * kept a while past their use, because presenting one again is how a replay
 * is detected and its grant revoked. Idempotent: every instance may run it.
 */
export async function purgeExpired(
  db: Database,
  config: Config,
  now = Date.now(),
): Promise<Record<string, number>> {
  const dayAgo = new Date(now - DAY);
  const monthAgo = new Date(now - 30 * DAY);
  const [consentRequests, codes, accessTokens, refreshTokens] = await db.$transaction([
    db.consentRequest.deleteMany({ where: { expiresAt: { lt: dayAgo } } }),
    db.authorizationCode.deleteMany({ where: { expiresAt: { lt: dayAgo } } }),
    db.accessToken.deleteMany({ where: { expiresAt: { lt: dayAgo } } }),
    db.refreshToken.deleteMany({
      where: {
        OR: [
          { revokedAt: { lt: dayAgo } },
          { usedAt: { lt: monthAgo } },
          ...(config.refreshTokenLifespanMs > 0
            ? [{ issuedAt: { lt: new Date(now - config.refreshTokenLifespanMs - DAY) } }]
            : []),
        ],
      },
    }),
  ]);
  return {
    consentRequests: consentRequests.count,
    codes: codes.count,
    accessTokens: accessTokens.count,
    refreshTokens: refreshTokens.count,
  };
}

/** Runs purgeExpired now and then every `intervalMs`, logging what it removed. */
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
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return timer;
}
