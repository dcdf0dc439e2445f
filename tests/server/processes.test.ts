import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { workersOf } from "@/tests/support/processes.ts";
import { type Portico, startPortico } from "@/tests/support/server.ts";

/** The shared objects a process has mapped (Linux /proc), e.g. native add-ons it loaded. */
function mappedFiles(pid: number): string {
  return readFileSync(`/proc/${pid}/maps`, "utf8");
}

// The primary forks the workers and supervises them; migrations and the bootstrap run in a short-lived
// child, so the primary never loads the database driver (nor Prisma, Next.js or the migration engine).
describe("processes of a multi-worker start", () => {
  let portico: Portico;
  before(async () => {
    portico = await startPortico({ env: { WORKERS: "2" } });
  });
  after(() => portico.stop());

  test("the primary holds no database driver; a worker that served a token does", async () => {
    // The bootstrap ran before the workers started: the root client exists.
    for (let i = 0; i < 4; i++) assert.match(await portico.rootToken("hydra.clients"), /^\S{20,}$/);
    assert.doesNotMatch(mappedFiles(portico.pid), /better_sqlite3\.node/);
    const workers = workersOf(portico.pid);
    assert.equal(workers.length, 2, "the setup child has exited; two workers remain");
    assert.ok(
      workers.some((worker) => /better_sqlite3\.node/.test(mappedFiles(worker))),
      "a worker that answered the token requests has the driver loaded",
    );
  });

  test("workers run with the memory settings that keep them small", () => {
    const workers = workersOf(portico.pid);
    assert.equal(workers.length, 2);
    for (const worker of workers) {
      const cmdline = readFileSync(`/proc/${worker}/cmdline`, "utf8");
      assert.match(cmdline, /--max-semi-space-size=8/);
      assert.match(cmdline, /--heap-growing-percent=30/);
      assert.match(cmdline, /--compact-on-every-full-gc/);
      assert.match(cmdline, /--v8-pool-size=2/);
      assert.match(readFileSync(`/proc/${worker}/environ`, "utf8"), /(^|\0)MALLOC_MMAP_THRESHOLD_=131072\0/);
    }
  });
});
