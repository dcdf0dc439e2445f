import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A database made for one job (a scratch diff, a test) and dropped by whoever made it. */
export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * An empty SQLite file in a temp directory of its own, removed with the
 * directory. The prefix names the directory (`portico-test-…`), so a
 * leftover says who left it. The PostgreSQL counterpart is
 * `throwawayPostgresDatabase` (postgres-server.ts).
 */
export function throwawaySqliteDatabase(prefix: string): ThrowawayDatabase {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    url: `file:${join(dir, "portico.db")}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
