import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import type pg from "pg";
import { type Provider, prepareSqliteFile, providerOf, sqlitePath } from "./client.ts";
import { postgresSchema, quoteIdent, withPostgresConnection, withPostgresLock } from "./postgres-server.ts";

/** Where each backend's migrations live: prisma/migrations/<provider>/<name>/migration.sql. */
export function migrationsDir(provider: Provider, root = process.cwd()): string {
  return join(root, "prisma", "migrations", provider);
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(provider: Provider, root = process.cwd()): Migration[] {
  const dir = migrationsDir(provider, root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const HISTORY_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};

/**
 * Why `migrate` will not bring this database to this version: the operator's to fix, said in one
 * line (its message) by every command that migrates. `code` tells it from other errors where this
 * module is not imported (the primary process, server/main.ts).
 */
export class MigrationRefused extends Error {
  readonly code = "MIGRATION_REFUSED";
}

/**
 * Thrown when the migrations are not where they are read from (relative to the working directory):
 * Portico was started from another folder, and would otherwise serve a database without tables.
 */
export class MigrationsNotFound extends MigrationRefused {
  constructor(dir: string) {
    super(`no migrations in ${dir}: start Portico from its own folder (npm start)`);
  }
}

/**
 * Thrown when the database holds a migration this version does not know: a newer Portico migrated
 * it. Serving it would write rows without what the newer version records (and read its new
 * columns as missing); going back means restoring the backup taken before upgrading.
 */
export class DatabaseFromNewerVersion extends MigrationRefused {
  constructor(migration: string) {
    super(
      `the database was migrated by a newer version of Portico (migration ${migration}): run that version, or restore the backup taken before upgrading`,
    );
  }
}

/** Refuses a database whose finished migrations include one this version does not have. */
function refuseNewer(finished: string[], migrations: Migration[]): void {
  const known = new Set(migrations.map((migration) => migration.name));
  const unknown = finished.filter((name) => !known.has(name)).sort();
  if (unknown.length > 0) throw new DatabaseFromNewerVersion(unknown.at(-1) as string);
}

const FINISHED = `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`;

/**
 * Applies the pending migrations of DATABASE_URL's backend, each in its own
 * transaction, recording them in `_prisma_migrations` exactly as
 * `prisma migrate deploy` does, so Prisma's own engine accepts the history.
 * Needs no schema-engine binary. Safe to run from several processes at once.
 * Refuses a database a newer version migrated (DatabaseFromNewerVersion).
 * Returns the names of the migrations it applied.
 */
export async function migrate(databaseUrl: string, root = process.cwd()): Promise<string[]> {
  const provider = providerOf(databaseUrl);
  const dir = migrationsDir(provider, root);
  if (!existsSync(dir)) throw new MigrationsNotFound(dir);
  const migrations = readMigrations(provider, root);
  return provider === "sqlite"
    ? migrateSqlite(databaseUrl, migrations)
    : migratePostgres(databaseUrl, migrations);
}

/**
 * Switches the file to WAL. The switch needs the file to itself and can
 * answer SQLITE_BUSY at once, without waiting, while another process (a
 * second migrator, a worker) has it open: then wait a little and retry,
 * unless that other process has switched it already.
 */
function enableWal(db: Sqlite.Database): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      const busy = (error as { code?: string }).code?.startsWith("SQLITE_BUSY");
      if (!busy || attempt >= 300) throw error;
      if (db.pragma("journal_mode", { simple: true }) === "wal") return;
      Atomics.wait(pause, 0, 0, 100);
    }
  }
}

function migrateSqlite(databaseUrl: string, migrations: Migration[]): string[] {
  const file = sqlitePath(databaseUrl);
  prepareSqliteFile(file);
  const db = new Sqlite(file, { timeout: 30_000 });
  try {
    enableWal(db);
    // Prisma rebuilds a SQLite table between `PRAGMA foreign_keys=OFF` and `=ON`,
    // which do nothing inside a transaction: with foreign keys on, the rebuild's
    // DROP TABLE would cascade-delete every row that references the table.
    // So they are off on this connection, and checked before each commit instead.
    db.pragma("foreign_keys = OFF");
    db.exec(HISTORY_TABLE.sqlite);
    refuseNewer(
      (db.prepare(FINISHED).all() as Array<{ migration_name: string }>).map((row) => row.migration_name),
      migrations,
    );
    const applied: string[] = [];
    for (const migration of migrations) {
      // BEGIN IMMEDIATE takes the write lock first, so two processes never apply the same migration.
      const apply = db.transaction(() => {
        const done = db
          .prepare(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = ? AND finished_at IS NOT NULL`)
          .get(migration.name);
        if (done) return false;
        db.exec(migration.sql);
        const violations = db.pragma("foreign_key_check") as unknown[];
        if (violations.length > 0)
          throw new Error(
            `${migration.name} would leave ${violations.length} rows with a dangling foreign key`,
          );
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES (?, ?, ?, ?, ?, 1)`,
        ).run(randomUUID(), migration.checksum, Date.now(), migration.name, Date.now());
        return true;
      });
      if (apply.immediate()) applied.push(migration.name);
    }
    return applied;
  } finally {
    db.close();
  }
}

/**
 * Versions before `?schema=` was applied ignored it and kept every table in
 * `public`: an upgrade would start on an empty new schema, every client, key
 * and person left behind. So a schema that does not exist yet, with Portico's
 * tables in `public`, is refused; one an operator made first (a new instance
 * beside the one in `public`) is used.
 */
async function refuseSchemaLeftInPublic(client: pg.ClientBase, schema: string): Promise<void> {
  const { rows } = await client.query<{ named: boolean; inPublic: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS named,
            to_regclass('public._prisma_migrations') IS NOT NULL AS "inPublic"`,
    [schema],
  );
  const [found] = rows;
  if (schema !== "public" && found && !found.named && found.inPublic) {
    throw new MigrationRefused(
      `DATABASE_URL names the schema ${schema}, which does not exist, and Portico's tables are in public (versions before this one ignored ?schema=): remove ?schema= to go on with them, move them first (ALTER TABLE … SET SCHEMA ${schema}), or, for a new instance beside the one in public, create the schema first (CREATE SCHEMA ${schema})`,
    );
  }
}

/** The advisory lock one migrator holds (server/setup.ts holds its own, 72707370, around it). */
const MIGRATION_LOCK = 72707369;

async function migratePostgres(databaseUrl: string, migrations: Migration[]): Promise<string[]> {
  // One migrator at a time across every instance sharing this database.
  return withPostgresLock(databaseUrl, MIGRATION_LOCK, () =>
    withPostgresConnection(databaseUrl, async (client) => {
      // `?schema=`: the connection's search_path names it; made here, as `prisma migrate deploy` does.
      const schema = postgresSchema(databaseUrl);
      if (schema) {
        await refuseSchemaLeftInPublic(client, schema);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      }
      await client.query(HISTORY_TABLE.postgresql);
      refuseNewer(
        (await client.query<{ migration_name: string }>(FINISHED)).rows.map((row) => row.migration_name),
        migrations,
      );
      const applied: string[] = [];
      for (const migration of migrations) {
        const done = await client.query(
          `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1 AND finished_at IS NOT NULL`,
          [migration.name],
        );
        if (done.rowCount) continue;
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
             VALUES ($1, $2, now(), $3, now(), 1)`,
            [randomUUID(), migration.checksum, migration.name],
          );
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        }
        applied.push(migration.name);
      }
      return applied;
    }),
  );
}
