import "server-only";
import { whenHousekeeper } from "@/common/housekeeper.ts";
import { repeatWithoutOverlap } from "@/common/repeat.ts";
import { databaseUnavailable } from "@/db/unavailable.ts";
import { db } from "@/lib/db/index.ts";
import { describeError, log } from "@/lib/log/index.ts";
import { sendQueuedDeletions } from "@/lib/users/index.ts";
import { purgeAppState } from "./index.ts";

const INTERVAL_MS = 10 * 60_000;

/**
 * Runs purgeAppState shortly and every ten minutes in this process, logging what
 * it removed, and sends the server the deletions it has not confirmed yet.
 * A run that outlasts the interval is not joined by another. With several
 * workers only the one the primary picks for housekeeping runs it
 * (common/housekeeper.ts), from when it is picked.
 */
export function scheduleAppPurge(): void {
  const run = () =>
    sendQueuedDeletions()
      .catch(failed("sending queued deletions"))
      .then(() => purgeAppState(db()))
      .then((removed) => {
        // Every round says so at debug level; one that removed something at info.
        if (Object.values(removed).some((count) => count > 0))
          log().info("purged expired app state", removed);
        else log().debug("purged expired app state", removed);
      })
      .catch(failed("purging expired app state"));
  // Shortly after start rather than at once: the server this app talks to may not be listening yet.
  // Never two runs at once: one that outlasts the interval (a backlog, a slow server) is not joined.
  whenHousekeeper(() => repeatWithoutOverlap(run, INTERVAL_MS, 5_000));
}

/**
 * Logs a failed run: while the database is unavailable (down, or the SQLite file locked by another
 * process) one line with the reason and no stack, as the API and the forms log an outage; it heals
 * on its own and the next run catches up. Anything else with its error.
 */
function failed(what: string): (error: unknown) => void {
  return (error) => {
    const outage = databaseUnavailable(error);
    if (outage) log().warn(`${what} failed: the database is unavailable`, { reason: outage });
    else log().warn(`${what} failed`, describeError(error));
  };
}
