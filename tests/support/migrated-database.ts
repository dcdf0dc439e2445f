import { after, before } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { type Backend, freshDatabase } from "./server.ts";

/** The database a suite's stores work on; `db` exists once the suite's first `before` has run. */
export interface MigratedDatabase {
  readonly db: Database;
}

/**
 * Gives the calling suite a fresh database of `backend` with every
 * migration applied, from its first `before` (register the suite's own
 * hooks after calling this) until it is dropped after the suite.
 */
export function migratedDatabase(backend: Backend): MigratedDatabase {
  let db: Database | undefined;
  let drop: (() => Promise<void>) | undefined;
  before(async () => {
    const fresh = await freshDatabase(backend);
    drop = fresh.drop;
    await migrate(fresh.url);
    db = createDatabase(fresh.url);
  });
  after(async () => {
    await db?.$disconnect();
    await drop?.();
  });
  return {
    get db(): Database {
      if (!db) throw new Error("the suite's database is not ready: use it in a test or a later hook");
      return db;
    },
  };
}
