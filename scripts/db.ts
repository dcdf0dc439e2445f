// Database chores, run as `node --import tsx scripts/db.ts <command>`:
//
//   migrate        apply pending migrations to DATABASE_URL (what the server does at start)
//   create <name>  write a new migration for both backends from prisma/schema.prisma
//   diff [--fresh] print the SQL that would bring DATABASE_URL to the schema; exit 2 if any.
//                  --fresh: migrate a throwaway database on the same backend and diff that
//                  instead, which catches a schema change that has no migration yet.
//   backup <file>  copy a SQLite DATABASE_URL to <file>, a new file, while the server runs: one
//                  consistent snapshot (VACUUM INTO, a read transaction: writers go on), written
//                  beside <file> and moved into place when complete and checked. PostgreSQL: pg_dump.
//
// DATABASE_URL defaults to file:./data/portico.db (relative to the working directory).
// `create` authors the PostgreSQL migration on MIGRATIONS_POSTGRES_URL
// (default postgresql://app:app@127.0.0.1:5432/app_migrations), a scratch database
// that is wiped each time and created when missing; the role needs CREATEDB.
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Sqlite from "better-sqlite3";
import { parseEnvironment } from "@/common/config.ts";
import { providerOf, sqlitePath } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import {
  createPostgresDatabase,
  postgresDatabaseUrl,
  postgresSettings,
  throwawayPostgresDatabase,
  withPostgresConnection,
} from "@/db/postgres-server.ts";
import { type ThrowawayDatabase, throwawaySqliteDatabase } from "@/db/throwaway.ts";
import { createMigration, diffDatabaseAgainstSchema, migrationTimestamp } from "@/scripts/schema-engine.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
/** DATABASE_URL, read when a command needs it: a bad value is then the one line of the catch below. */
const databaseUrlOf = () => parseEnvironment().DATABASE_URL;
const migrationsPostgresUrl =
  process.env.MIGRATIONS_POSTGRES_URL || "postgresql://app:app@127.0.0.1:5432/app_migrations";

function usage(): never {
  console.error("usage: scripts/db.ts migrate | create <name> | diff [--fresh] | backup <file>");
  process.exit(64);
}

async function ensurePostgresDatabase(databaseUrl: string): Promise<void> {
  const { database } = postgresSettings(databaseUrl);
  // The database may not exist yet: ask the server's maintenance database.
  await withPostgresConnection(postgresDatabaseUrl(databaseUrl, "postgres"), async (client) => {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!exists.rowCount) await createPostgresDatabase(client, database);
  });
}

async function commandMigrate(): Promise<void> {
  const databaseUrl = databaseUrlOf();
  if (providerOf(databaseUrl) === "sqlite") mkdirSync(dirname(sqlitePath(databaseUrl)), { recursive: true });
  const applied = await migrate(databaseUrl, root);
  for (const name of applied) console.log(`applied ${name}`);
  if (applied.length === 0) console.log("no pending migrations");
}

async function commandCreate(name: string | undefined): Promise<void> {
  if (!name) usage();
  // The PostgreSQL schema is derived from the SQLite one; a stale copy would
  // produce a PostgreSQL migration that disagrees with the SQLite one.
  execFileSync(process.execPath, [join(root, "scripts", "generate-postgres-schema.mjs")], {
    cwd: root,
    stdio: "inherit",
  });
  // Fail on an unreachable server before anything is written.
  await ensurePostgresDatabase(migrationsPostgresUrl);
  // One timestamp for both, so a change has the same directory name on each backend.
  const timestamp = migrationTimestamp();

  const sqlite = throwawaySqliteDatabase("portico-db-");
  let sqliteDir: string | null;
  try {
    sqliteDir = await createMigration(sqlite.url, name, { root, timestamp });
  } finally {
    await sqlite.drop();
  }
  let postgresDir: string | null;
  try {
    postgresDir = await createMigration(migrationsPostgresUrl, name, { root, timestamp, scratch: true });
  } catch (error) {
    // A migration for one backend only would leave the two folders out of step.
    if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
    throw error;
  }

  for (const [provider, dir] of [
    ["sqlite", sqliteDir],
    ["postgresql", postgresDir],
  ] as const) {
    console.log(
      dir ? `created ${relative(root, dir)}` : `${provider}: the migrations already match the schema`,
    );
  }
  if (Boolean(sqliteDir) !== Boolean(postgresDir)) {
    console.error("only one backend needed a migration: the two migration folders have diverged");
    process.exitCode = 1;
  }
}

async function commandDiff(fresh: boolean): Promise<void> {
  const databaseUrl = databaseUrlOf();
  let target: ThrowawayDatabase = { url: databaseUrl, drop: async () => {} };
  if (fresh)
    target =
      providerOf(databaseUrl) === "sqlite"
        ? throwawaySqliteDatabase("portico-db-")
        : await throwawayPostgresDatabase(databaseUrl, "portico_scratch_");
  let sql: string;
  try {
    if (fresh) await migrate(target.url, root);
    sql = await diffDatabaseAgainstSchema(target.url, root);
  } finally {
    await target.drop();
  }
  if (sql) {
    process.stdout.write(sql.endsWith("\n") ? sql : `${sql}\n`);
    console.error(
      fresh ? "the migrations do not produce the schema" : "the database has drifted from the schema",
    );
    process.exitCode = 2;
  } else {
    console.error("the database matches the schema");
  }
}

async function commandBackup(target: string | undefined): Promise<void> {
  if (!target) usage();
  const databaseUrl = databaseUrlOf();
  if (providerOf(databaseUrl) !== "sqlite")
    throw new Error(
      'db:backup copies a SQLite database; DATABASE_URL is PostgreSQL: use pg_dump (README, "Backup and restore")',
    );
  const source = sqlitePath(databaseUrl);
  const destination = resolve(target);
  if (existsSync(destination))
    throw new Error(`${destination} exists: db:backup never overwrites a file, name a new one`);
  if (!existsSync(source)) throw new Error(`there is no database at ${source} (DATABASE_URL)`);
  // The copy holds hashes, encrypted keys and people's data: a folder made here is 0700, the file 0600.
  const folder = dirname(destination);
  if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: 0o700 });
  // Written beside the target and linked into place only when complete and checked: a backup cut
  // short (a full disk, a kill) never leaves a file under the name a restore would use.
  const partial = join(folder, `.${basename(destination)}.${process.pid}.partial`);
  closeSync(openSync(partial, "wx", 0o600));
  let migration: string | undefined;
  try {
    // Read-only, never creating the file: a backup writes nothing to the live database. The busy
    // timeout covers the moment a worker holds the WAL's recovery lock.
    const db = new Sqlite(source, { readonly: true, fileMustExist: true, timeout: 10_000 });
    try {
      // One read transaction: a snapshot of every table at one commit, WAL frames included,
      // while the server's writers go on (WAL readers do not block them).
      db.prepare("VACUUM INTO ?").run(partial);
    } finally {
      db.close();
    }
    const copy = new Sqlite(partial, { readonly: true, fileMustExist: true });
    try {
      const check = copy.pragma("integrity_check", { simple: true });
      if (check !== "ok") throw new Error(`the copy failed its integrity check: ${String(check)}`);
      const migrated = copy
        .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`)
        .get();
      if (migrated)
        migration = (
          copy
            .prepare(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL
                      ORDER BY migration_name DESC LIMIT 1`)
            .get() as { migration_name: string } | undefined
        )?.migration_name;
    } finally {
      copy.close();
    }
    const fd = openSync(partial, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // link, not rename: it fails rather than replace a file made under that name meanwhile.
    linkSync(partial, destination);
  } finally {
    rmSync(partial, { force: true });
  }
  const dirFd = openSync(folder, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  console.log(
    `backed up ${source} to ${destination} (${statSync(destination).size} bytes, last migration ${migration ?? "none"})`,
  );
}

const [command, ...args] = process.argv.slice(2);
try {
  if (command === "migrate") await commandMigrate();
  else if (command === "create") await commandCreate(args[0]);
  else if (command === "diff") await commandDiff(args.includes("--fresh"));
  else if (command === "backup") await commandBackup(args[0]);
  else usage();
} catch (error) {
  // Expected failures (no database, drift that needs a reset) read best without a stack.
  console.error(
    process.env.DEBUG && error instanceof Error ? error : error instanceof Error ? error.message : error,
  );
  process.exitCode = 1;
}
