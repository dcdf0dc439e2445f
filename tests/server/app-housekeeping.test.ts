/**
 * The login & consent app's housekeeping (expired sessions, stale sign-in
 * throttles, expired mailed links): with several workers it runs in the one
 * worker the primary picks for housekeeping, as the server's own purge does,
 * not once in every worker; with WORKERS=1 the one process runs it. Needs
 * `npm run build` (the app's housekeeping starts as Next.js loads).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createDatabase } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { BACKENDS, freshDatabase, startPortico } from "@/tests/support/server.ts";

const STALE = ["stale-throttle-1", "stale-throttle-2"];

/** The app's housekeeping lines: every round writes one (at debug level when it removed nothing). */
function housekeepingLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.component === "consent" && line.msg === "purged expired app state");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of BACKENDS) {
  describe(`the consent app's housekeeping (${backend})`, { timeout: 300_000 }, () => {
    for (const workers of [2, 1]) {
      test(`WORKERS=${workers}: one process runs it: its effect happens and its line is written once per round`, async () => {
        const database = await freshDatabase(backend);
        await migrate(database.url);
        const db = createDatabase(database.url);
        await db.loginThrottle.createMany({
          data: STALE.map((key) => ({ key, failures: 3, lastFailedAt: new Date(0) })),
        });
        await db.$disconnect();
        const portico = await startPortico({
          databaseUrl: database.url,
          compiled: true,
          env: { WORKERS: String(workers), LOG_LEVEL: "debug" },
        });
        const check = createDatabase(database.url);
        try {
          // The effect: the stale throttle rows go (the first round is a few seconds after start).
          const deadline = Date.now() + 90_000;
          while ((await check.loginThrottle.count({ where: { key: { in: STALE } } })) > 0) {
            assert.ok(Date.now() < deadline, `the stale rows were not purged:\n${portico.output()}`);
            await sleep(250);
          }
          // Every worker is up; a worker that ran its own round would have done so 5 s after it
          // loaded the pages. Wait well past that before counting.
          while ((portico.output().match(/Portico is listening on/g) ?? []).length < workers) {
            assert.ok(Date.now() < deadline, `the workers did not start:\n${portico.output()}`);
            await sleep(250);
          }
          await sleep(12_000);
          const lines = housekeepingLines(portico.output());
          assert.equal(lines.length, 1, `one round, one line:\n${JSON.stringify(lines)}`);
          assert.equal(lines[0]?.level, "info");
          assert.equal(lines[0]?.loginThrottles, STALE.length);
        } finally {
          await check.$disconnect();
          await portico.stop();
          await database.drop();
        }
      });
    }
  });
}
