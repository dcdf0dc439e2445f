import "server-only";
import { db } from "@/lib/db/index.ts";
import { describeError, log } from "@/lib/log/index.ts";
import { purgeAppState } from "./index.ts";

const INTERVAL_MS = 10 * 60_000;

/** Runs purgeAppState now and every ten minutes in this process, logging what it removed. */
export function scheduleAppPurge(): void {
  const run = () =>
    purgeAppState(db())
      .then((removed) => {
        if (Object.values(removed).some((count) => count > 0))
          log().info("purged expired app state", removed);
      })
      .catch((error: unknown) => log().warn("purging expired app state failed", describeError(error)));
  void run();
  setInterval(run, INTERVAL_MS).unref();
}
