import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresClient } from "../generated/prisma/postgres/client.ts";
import { PrismaClient as SqliteClient } from "../generated/prisma/sqlite/client.ts";

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

/** Discrete connection settings for pg: a connection string would override the database name. */
export function postgresSettings(databaseUrl: string) {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    ssl: url.searchParams.get("sslmode") === "require" ? { rejectUnauthorized: false } : undefined,
  };
}

export function createDatabase(databaseUrl: string): Database {
  if (providerOf(databaseUrl) === "sqlite") {
    const file = sqlitePath(databaseUrl);
    mkdirSync(dirname(file), { recursive: true });
    // timeout: wait for a lock held by another worker instead of failing at once.
    const adapter = new PrismaBetterSqlite3({ url: file, timeout: 10_000 });
    return new SqliteClient({ adapter });
  }
  const adapter = new PrismaPg({ ...postgresSettings(databaseUrl), max: 10 });
  return new PostgresClient({ adapter }) as unknown as Database;
}
