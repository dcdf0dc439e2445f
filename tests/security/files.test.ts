import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { startPortico } from "@/tests/support/server.ts";

describe("the SQLite files (finding 15)", () => {
  test("the data folder is created 0700 and the database, its WAL and shared memory 0600", async () => {
    const root = mkdtempSync(join(tmpdir(), "portico-files-"));
    const folder = join(root, "data");
    const file = join(folder, "portico.db");
    const portico = await startPortico({ databaseUrl: `file:${file}` });
    try {
      // A write, so the WAL exists.
      const token = await portico.rootToken();
      assert.equal((await portico.call("/clients", { token, json: { id: "files-check" } })).status, 201);
      const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
      assert.equal(mode(folder), "700");
      for (const path of [file, `${file}-wal`, `${file}-shm`]) {
        assert.ok(existsSync(path), path);
        assert.equal(mode(path), "600", path);
      }
    } finally {
      await portico.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
