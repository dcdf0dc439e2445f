import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { PrismaClient as PostgresClient } from "@/generated/prisma/postgres/client.ts";
import { PrismaClient as SqliteClient } from "@/generated/prisma/sqlite/client.ts";
import { behindPooler, postgresSchema, postgresSettings } from "./postgres-server.ts";
import type { RawQueries } from "./raw.ts";
import { PostgresRawQueries } from "./raw-postgres.ts";
import { SqliteRawQueries } from "./raw-sqlite.ts";

/**
 * One Prisma client type for both backends. The two generated clients differ
 * only in their provider; the models and their API are identical.
 */
export type Database = SqliteClient;

export type Provider = "sqlite" | "postgresql";

export function providerOf(databaseUrl: string): Provider {
  return databaseUrl.startsWith("file:") ? "sqlite" : "postgresql";
}

/** The file a `file:` URL names, resolved against the working directory. */
export function sqlitePath(databaseUrl: string): string {
  return resolve(databaseUrl.slice("file:".length).split("?")[0] as string);
}

/**
 * Each database's raw layer, process-wide: the app's modules are bundled twice
 * (Next.js's build and dist/app), and a database one copy made must find its
 * raw layer from the other.
 */
const holder = globalThis as typeof globalThis & {
  porticoRawQueries?: WeakMap<object, RawQueries>;
  porticoDatabases?: Map<string, Database>;
};
holder.porticoRawQueries ??= new WeakMap();
const raw = holder.porticoRawQueries;

/**
 * The prepared-statement layer for the hottest queries (db/raw.ts), on the
 * same connection (SQLite) or pool (PostgreSQL) as this Prisma client. It
 * is part of every database createDatabase makes, and only those.
 */
export function rawQueries(db: object): RawQueries {
  const queries = raw.get(db);
  if (!queries) throw new Error("rawQueries needs a database made by createDatabase");
  return queries;
}

/**
 * Makes the SQLite file's folder (0700 when it is created here) and the file
 * itself (0600) before SQLite opens it: it holds hashes, encrypted keys and
 * people's data, and SQLite gives its -wal and -shm files the database
 * file's mode, so those follow.
 */
export function prepareSqliteFile(file: string): void {
  const folder = dirname(file);
  if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}

type SqliteFactory = InstanceType<typeof PrismaBetterSqlite3>;

interface DatabaseOptions {
  /** SQLite's `synchronous` pragma (SQLITE_SYNCHRONOUS); PostgreSQL ignores it. */
  synchronous?: "NORMAL" | "FULL";
}

export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  if (providerOf(databaseUrl) === "sqlite") {
    const file = sqlitePath(databaseUrl);
    prepareSqliteFile(file);
    // timeout: wait for a lock held by another worker instead of failing at once.
    const inner = new PrismaBetterSqlite3({ url: file, timeout: 10_000 });
    // The adapter opens its better-sqlite3 connection on connect; keep a handle to it for db/raw.ts.
    let connection: BetterSqlite3.Database | undefined;
    const adapter: SqliteFactory = {
      provider: inner.provider,
      adapterName: inner.adapterName,
      connect: async () => {
        const connected = await inner.connect();
        connection = (connected as unknown as { client: BetterSqlite3.Database }).client;
        // In WAL mode (db/migrate.ts sets it), NORMAL syncs the WAL at checkpoints rather than on
        // every commit: a crash of the process loses nothing, a power loss may lose the last
        // commits, and a commit no longer blocks the event loop on an fsync (≈ 0.8 ms here).
        // SQLITE_SYNCHRONOUS=FULL restores a sync per commit.
        connection.pragma(`synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
        return connected;
      },
      connectToShadowDb: () => inner.connectToShadowDb(),
    } as SqliteFactory;
    const db = new SqliteClient({ adapter });
    raw.set(
      db,
      new SqliteRawQueries(async () => {
        if (!connection?.open) await db.$connect();
        if (!connection?.open) throw new Error("The SQLite connection is not open");
        return connection;
      }),
    );
    return db;
  }
  // `?connection_limit=` overrides the pool's 10; `?schema=` names the schema of Prisma's queries.
  const pool = new pg.Pool({ max: 10, ...postgresSettings(databaseUrl) });
  const adapter = new PrismaPg(pool, { disposeExternalPool: true, schema: postgresSchema(databaseUrl) });
  const db = new PostgresClient({ adapter }) as unknown as Database;
  raw.set(db, new PostgresRawQueries(pool, behindPooler(databaseUrl)));
  return db;
}

/**
 * The process's database for this URL (and these options), made on first
 * use: the server and the app running in one process share it, and so one
 * Prisma client, its query compiler and caches, one SQLite connection or one
 * PostgreSQL pool, instead of one of each per half. The halves still only
 * talk to each other over HTTP; what they share is infrastructure, as a
 * machine's disk. An app configured with another DATABASE_URL gets its own.
 * Process-wide (globalThis) because the app's modules are bundled separately
 * from the server's.
 */
export function sharedDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  holder.porticoDatabases ??= new Map();
  const key = `${databaseUrl}\n${options.synchronous ?? "NORMAL"}`;
  let db = holder.porticoDatabases.get(key);
  if (!db) {
    db = createDatabase(databaseUrl, options);
    holder.porticoDatabases.set(key, db);
  }
  return db;
}
