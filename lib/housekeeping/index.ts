import type { Database } from "@/db/client.ts";
import { purgeExpiredTokens } from "@/lib/accounts/tokens.ts";
import { PURGE_BATCH } from "@/lib/housekeeping/batches.ts";
import { ThrottleStore } from "@/lib/security/throttle.ts";
import { SessionStore } from "@/lib/session/store.ts";

/**
 * Deletes the login & consent app's state that nothing can use any more:
 * expired sessions, expired links mailed to people, and throttle rows whose
 * failures are forgotten and whose lock is over. Idempotent (one process runs it:
 * lib/housekeeping/schedule.ts), so instances on one database may each run it.
 * Each kind goes `batch` rows a statement (./batches.ts).
 */
export async function purgeAppState(
  db: Database,
  now = new Date(),
  batch = PURGE_BATCH,
): Promise<Record<string, number>> {
  return {
    sessions: await new SessionStore(db).purgeExpired(now, batch),
    loginThrottles: await new ThrottleStore(db).purgeStale(now, batch),
    accountTokens: await purgeExpiredTokens(db, now, batch),
  };
}
