import { randomBytes } from "node:crypto";
import pg from "pg";
import { postgresSettings } from "./postgres-url.ts";
import type { ThrowawayDatabase } from "./throwaway.ts";

export { behindPooler, postgresSchema, postgresSettings, postgresUrlProblem } from "./postgres-url.ts";

// Connections to a PostgreSQL server for work on whole databases (create,
// drop), as `npm run db`, the schema engine, the tests and the bench do it.

/** The URL of another database on the same server, with the same credentials and options. */
export function postgresDatabaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** Runs `use` on one connection of its own (a URL or discrete settings), closed afterwards whatever happens. */
export async function withPostgresConnection<T>(
  target: string | pg.ClientConfig,
  use: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(typeof target === "string" ? postgresSettings(target) : target);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` holding the advisory lock `key` (one holder at a time across every process sharing
 * the database), on a connection of its own in a transaction left open until `work` ends: a
 * transaction-level lock, so that through a pooler in transaction mode (PgBouncer, `?pgbouncer=true`)
 * the lock stays on the one server connection the transaction holds. A session-level lock there
 * was taken and released on whichever server connection each statement got: another process
 * could take it at the same time, and a release on another connection left it held. A process
 * that dies holding it releases it, as its connection ends.
 */
export async function withPostgresLock<T>(
  databaseUrl: string,
  key: number,
  work: () => Promise<T>,
): Promise<T> {
  return withPostgresConnection(databaseUrl, async (client) => {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [key]);
      return await work();
    } finally {
      await client.query("COMMIT").catch(() => {});
    }
  });
}

/** A PostgreSQL identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function createPostgresDatabase(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
}

const IN_USE = "55006";
const ATTEMPTS = 3;

/**
 * Drops a database that sessions of our own role may still hold (a pool
 * not yet closed, a stopped server's last connections).
 *
 * Not `DROP DATABASE … WITH (FORCE)`: FORCE refuses outright (42501) when a
 * session it may not signal is on the database, and an autovacuum worker
 * (which has no role) is such a session for any role that is not a superuser.
 * So FORCE failed whenever autovacuum happened to be working on the database.
 * Instead: end our own role's sessions, then a plain DROP, which stops
 * autovacuum workers itself and waits up to 5 s for ending sessions to go.
 * A session of another role still holding the database makes it fail (55006)
 * after the last attempt, as it should.
 */
export async function dropPostgresDatabase(client: pg.ClientBase, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await client.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND pg_has_role(usesysid, 'USAGE')`,
      [name],
    );
    try {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== IN_USE || attempt === ATTEMPTS) throw error;
    }
  }
}

/**
 * A new, empty database on the server of `serverUrl`, with the same
 * credentials, named `prefix` and a random suffix; `drop` removes it.
 */
export async function throwawayPostgresDatabase(
  serverUrl: string,
  prefix: string,
): Promise<ThrowawayDatabase> {
  const name = `${prefix}${randomBytes(8).toString("hex")}`;
  await withPostgresConnection(serverUrl, (client) => createPostgresDatabase(client, name));
  return {
    url: postgresDatabaseUrl(serverUrl, name),
    drop: () => withPostgresConnection(serverUrl, (client) => dropPostgresDatabase(client, name)),
  };
}
