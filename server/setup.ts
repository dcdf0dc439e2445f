import Sqlite from "better-sqlite3";
import { createLogger } from "@/common/log.ts";
import { createDatabase, prepareSqliteFile, providerOf, sqlitePath } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { withPostgresLock } from "@/db/postgres-server.ts";
import { bootstrap } from "./bootstrap.ts";
import type { Config } from "./config/config.ts";
import { createServices } from "./services.ts";

/** The advisory lock one instance's setup holds (migrate.ts takes its own, 72707369, inside it). */
const SETUP_LOCK = 72707370;

/**
 * Brings the database to this version: pending migrations, then the bootstrap
 * (root client, ID-token keys, the consent app's client and policies) — none
 * when the app runs alone against another server (Config.appAlone). Runs in
 * a short-lived child of the primary, so that the primary never holds Prisma
 * or the migration engine.
 *
 * On PostgreSQL, instances starting together set up one after the other: the
 * bootstrap looks before it creates (is there any client yet? the demo
 * client?), so two running at once would each make a random root client —
 * two all-powerful clients, each secret printed by another instance — or one
 * would fail to start on the other's demo client. The lock is an advisory
 * lock held by an open transaction (withPostgresLock, so that it holds through
 * a pooler too), so an instance that dies holding it releases it.
 *
 * On SQLite (several instances sharing one file), the lock is an exclusive
 * transaction on a file of its own beside the database (`<file>-setup-lock`):
 * the database itself cannot be held, since the setup writes to it. SQLite's
 * locks are the system's file locks, so a process that dies releases it too.
 */
export async function setup(config: Config): Promise<void> {
  if (providerOf(config.databaseUrl) === "sqlite")
    return withSqliteSetupLock(config.databaseUrl, () => setUp(config));
  await withPostgresLock(config.databaseUrl, SETUP_LOCK, () => setUp(config));
}

async function setUp(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const applied = await migrate(config.databaseUrl);
  if (applied.length > 0) log.info("applied migrations", { migrations: applied });
  // The app alone (another server is the authorization server): its tables only, no server of its own.
  if (config.appAlone) return;
  const db = createDatabase(config.databaseUrl, { synchronous: config.sqliteSynchronous });
  try {
    await bootstrap(createServices(config, db, log));
  } finally {
    await db.$disconnect();
  }
}

/** How long an instance waits for another one's setup (migrations included) before it gives up. */
const SQLITE_SETUP_WAIT_MS = 10 * 60_000;

async function withSqliteSetupLock(databaseUrl: string, run: () => Promise<void>): Promise<void> {
  const file = `${sqlitePath(databaseUrl)}-setup-lock`;
  prepareSqliteFile(file);
  const lock = new Sqlite(file, { timeout: SQLITE_SETUP_WAIT_MS });
  try {
    // Waits (blocking this short-lived child, which does nothing else) while another instance holds it.
    lock.exec("BEGIN EXCLUSIVE");
    try {
      await run();
    } finally {
      lock.exec("COMMIT");
    }
  } finally {
    lock.close();
  }
}
