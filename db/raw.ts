import type BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { AccessToken, OAuth2Client } from "@/generated/prisma/sqlite/client.ts";

/**
 * The hottest queries as prepared statements, beside Prisma (whose query
 * compiler costs ≈ 300 µs per query — most of a token request). Each reads
 * and writes exactly the rows Prisma's driver adapters do:
 *
 * - SQLite: the same better-sqlite3 connection Prisma's adapter opened (so
 *   no second writer in the process can wait on a lock Prisma holds), DateTime
 *   as ISO 8601 text with "+00:00" (adapter-better-sqlite3's default
 *   timestampFormat; integer milliseconds are read too), Boolean as 0/1.
 * - PostgreSQL: the pg Pool Prisma's adapter uses, named prepared statements,
 *   TIMESTAMP(3) columns read and written as UTC.
 *
 * Nothing is cached here: every call asks the database. The revision rows
 * (policy_revision, client_revision; id 1) are read in the same statement as
 * the row they come with, so a caller can validate what it keeps in memory
 * without a round trip of its own.
 */
export interface RawQueries {
  clientById(id: string): Promise<OAuth2Client | null>;
  accessTokenByHash(hash: string): Promise<AccessToken | null>;
  insertAccessToken(row: AccessToken): Promise<void>;
  policyRevision(id: number): Promise<number>;
  /** The client revision alone (0 when its row does not exist). */
  clientRevision(): Promise<number>;
  /** The client (or null) and the client revision, read in one statement. */
  clientWithRevision(id: string): Promise<{ client: OAuth2Client | null; clientRevision: number }>;
  /** The access token (or null) and both revisions, read in one statement. */
  accessTokenWithRevisions(hash: string): Promise<{ token: AccessToken | null } & Revisions>;
  /**
   * Inserts the token only if the client revision is still `clientRevision`,
   * in one statement; false (nothing written) when a client write moved it.
   * Only where one statement is cheaper than a read and a write (PostgreSQL).
   */
  insertAccessTokenAtClientRevision?(row: AccessToken, clientRevision: number): Promise<boolean>;
}

/** The revision rows' values (0 when the row does not exist). */
export interface Revisions {
  policyRevision: number;
  clientRevision: number;
}

/** The id of the single row of policy_revision and client_revision. */
export const REVISION_ROW = 1;

const CLIENT_COLUMNS = `"id", "name", "secretHash", "redirectUris", "grantTypes", "responseTypes", "scope",
  "owner", "policyUri", "tosUri", "clientUri", "logoUri", "contacts", "public", "skipConsent",
  "postLogoutRedirectUris", "backchannelLogoutUri", "backchannelLogoutSessionRequired", "createdAt", "updatedAt",
  "audience", "tokenEndpointAuthMethod", "metadata"`;
const TOKEN_COLUMNS = `"hash", "grantId", "clientId", "subject", "scopes", "extra", "issuedAt", "expiresAt", "revokedAt"`;

const prefixed = (alias: string, columns: string) =>
  columns
    .split(",")
    .map((column) => `${alias}.${column.trim()}`)
    .join(", ");
const POLICY_REVISION = `COALESCE((SELECT "revision" FROM "policy_revision" WHERE "id" = ${REVISION_ROW}), 0)`;
const CLIENT_REVISION = `COALESCE((SELECT "revision" FROM "client_revision" WHERE "id" = ${REVISION_ROW}), 0)`;

const SQL = {
  clientWithRevision: `SELECT r."clientRevision", ${prefixed("c", CLIENT_COLUMNS)}
    FROM (SELECT ${CLIENT_REVISION} AS "clientRevision") r LEFT JOIN "oauth2_clients" c ON c."id" = $1`,
  accessTokenWithRevisions: `SELECT r."policyRevision", r."clientRevision", ${prefixed("t", TOKEN_COLUMNS)}
    FROM (SELECT ${POLICY_REVISION} AS "policyRevision", ${CLIENT_REVISION} AS "clientRevision") r
    LEFT JOIN "access_tokens" t ON t."hash" = $1`,
  // Many lookups in one statement: one row per presented hash (in order), revisions read once for all.
  accessTokensWithRevisions: `SELECT r."policyRevision", r."clientRevision", h."i", ${prefixed("t", TOKEN_COLUMNS)}
    FROM (SELECT ${POLICY_REVISION} AS "policyRevision", ${CLIENT_REVISION} AS "clientRevision") r
    CROSS JOIN unnest($1::text[]) WITH ORDINALITY AS h("hash", "i")
    LEFT JOIN "access_tokens" t ON t."hash" = h."hash"`,
  // Many rows in one statement (one column array each), all or none: the condition does not depend on the row.
  insertAccessTokensAtClientRevision: `INSERT INTO "access_tokens" (${TOKEN_COLUMNS})
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
      $7::timestamp(3)[], $8::timestamp(3)[], $9::timestamp(3)[])
    WHERE ${CLIENT_REVISION} = $10::integer`,
  clientById: `SELECT ${CLIENT_COLUMNS} FROM "oauth2_clients" WHERE "id" = $1 LIMIT 1`,
  accessTokenByHash: `SELECT ${TOKEN_COLUMNS} FROM "access_tokens" WHERE "hash" = $1 LIMIT 1`,
  insertAccessToken: `INSERT INTO "access_tokens" (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  policyRevision: `SELECT "revision" FROM "policy_revision" WHERE "id" = $1 LIMIT 1`,
  clientRevision: `SELECT "revision" FROM "client_revision" WHERE "id" = $1 LIMIT 1`,
};

/** better-sqlite3 binds anonymous `?` parameters; each statement uses $1…$n in order. */
function forSqlite(sql: string): string {
  return sql.replace(/\$\d+/g, "?");
}

type Value = string | number | bigint | null | boolean | Date;

function toDate(value: Value): Date {
  if (value instanceof Date) return value;
  if (typeof value === "bigint") return new Date(Number(value));
  return new Date(value as string | number);
}

function toDateOrNull(value: Value): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

function toBoolean(value: Value): boolean {
  return value === true || value === 1 || value === 1n || value === "1" || value === "true";
}

function clientRow(r: Record<string, Value>): OAuth2Client {
  return {
    id: r.id as string,
    name: r.name as string,
    secretHash: r.secretHash as string | null,
    redirectUris: r.redirectUris as string,
    grantTypes: r.grantTypes as string,
    responseTypes: r.responseTypes as string,
    scope: r.scope as string,
    owner: r.owner as string,
    policyUri: r.policyUri as string,
    tosUri: r.tosUri as string,
    clientUri: r.clientUri as string,
    logoUri: r.logoUri as string,
    contacts: r.contacts as string,
    public: toBoolean(r.public as Value),
    skipConsent: toBoolean(r.skipConsent as Value),
    postLogoutRedirectUris: r.postLogoutRedirectUris as string,
    backchannelLogoutUri: r.backchannelLogoutUri as string,
    backchannelLogoutSessionRequired: toBoolean(r.backchannelLogoutSessionRequired as Value),
    createdAt: toDate(r.createdAt as Value),
    updatedAt: toDate(r.updatedAt as Value),
    audience: r.audience as string,
    tokenEndpointAuthMethod: r.tokenEndpointAuthMethod as string | null,
    metadata: r.metadata as string | null,
  };
}

function tokenRow(r: Record<string, Value>): AccessToken {
  return {
    hash: r.hash as string,
    grantId: r.grantId as string,
    clientId: r.clientId as string,
    subject: r.subject as string,
    scopes: r.scopes as string,
    extra: r.extra as string,
    issuedAt: toDate(r.issuedAt as Value),
    expiresAt: toDate(r.expiresAt as Value),
    revokedAt: toDateOrNull(r.revokedAt as Value),
  };
}

function withClient(row: Record<string, Value>): { client: OAuth2Client | null; clientRevision: number } {
  return { client: row.id == null ? null : clientRow(row), clientRevision: Number(row.clientRevision) };
}

function withToken(row: Record<string, Value>): { token: AccessToken | null } & Revisions {
  return {
    token: row.hash == null ? null : tokenRow(row),
    policyRevision: Number(row.policyRevision),
    clientRevision: Number(row.clientRevision),
  };
}

/** adapter-better-sqlite3's default DateTime encoding. */
export function sqliteDate(date: Date | null): string | null {
  return date === null ? null : date.toISOString().replace("Z", "+00:00");
}

interface SqliteStatements {
  connection: BetterSqlite3.Database;
  clientById: BetterSqlite3.Statement;
  accessTokenByHash: BetterSqlite3.Statement;
  insertAccessToken: BetterSqlite3.Statement;
  policyRevision: BetterSqlite3.Statement;
  clientWithRevision: BetterSqlite3.Statement;
  clientRevision: BetterSqlite3.Statement;
  accessTokenWithRevisions: BetterSqlite3.Statement;
  begin: BetterSqlite3.Statement;
  commit: BetterSqlite3.Statement;
  rollback: BetterSqlite3.Statement;
  noBusyWait: BetterSqlite3.Statement;
  busyWait: BetterSqlite3.Statement;
}

interface QueuedInsert {
  row: AccessToken;
  resolve(): void;
  reject(error: unknown): void;
}

/** How long an insert may wait for the write lock in all, as the adapter's busy timeout. */
const BUSY_TIMEOUT_MS = 10_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

function tokenValues(t: AccessToken) {
  return [
    t.hash,
    t.grantId,
    t.clientId,
    t.subject,
    t.scopes,
    t.extra,
    sqliteDate(t.issuedAt),
    sqliteDate(t.expiresAt),
    sqliteDate(t.revokedAt),
  ];
}

/** Raw queries on the connection Prisma's SQLite adapter holds (`connection` opens it if needed). */
export class SqliteRawQueries implements RawQueries {
  private statements: SqliteStatements | undefined;

  constructor(private readonly connection: () => Promise<BetterSqlite3.Database>) {}

  private async prepared(): Promise<SqliteStatements> {
    const current = this.statements;
    if (current?.connection.open) return current;
    const connection = await this.connection();
    const prepare = (sql: string) => {
      const statement = connection.prepare(forSqlite(sql));
      // Prisma's adapter turns safe integers on for the whole connection; these read plain numbers.
      return statement.reader ? statement.safeIntegers(false) : statement;
    };
    this.statements = {
      connection,
      clientById: prepare(SQL.clientById),
      accessTokenByHash: prepare(SQL.accessTokenByHash),
      insertAccessToken: prepare(SQL.insertAccessToken),
      policyRevision: prepare(SQL.policyRevision),
      clientWithRevision: prepare(SQL.clientWithRevision),
      clientRevision: prepare(SQL.clientRevision),
      accessTokenWithRevisions: prepare(SQL.accessTokenWithRevisions),
      begin: connection.prepare("BEGIN IMMEDIATE"),
      commit: connection.prepare("COMMIT"),
      rollback: connection.prepare("ROLLBACK"),
      noBusyWait: connection.prepare("PRAGMA busy_timeout = 0"),
      busyWait: connection.prepare(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`),
    };
    return this.statements;
  }

  async clientById(id: string): Promise<OAuth2Client | null> {
    const row = (await this.prepared()).clientById.get(id) as Record<string, Value> | undefined;
    return row ? clientRow(row) : null;
  }

  async accessTokenByHash(hash: string): Promise<AccessToken | null> {
    const row = (await this.prepared()).accessTokenByHash.get(hash) as Record<string, Value> | undefined;
    return row ? tokenRow(row) : null;
  }

  /**
   * Inserts go out in groups: the tokens asked for in one turn of the event
   * loop are written in one transaction, and each call resolves once its row
   * is committed. The write lock is taken with BEGIN IMMEDIATE without
   * SQLite's busy wait (which sleeps the whole process for a millisecond or
   * more while another worker writes): when the lock is taken, the group
   * tries again on a later turn while this process serves other requests, for
   * up to the adapter's busy timeout. It never joins a transaction Prisma has
   * open on the connection.
   */
  async insertAccessToken(row: AccessToken): Promise<void> {
    const statements = await this.prepared();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (this.queue.length === 1 && !this.flushScheduled) this.scheduleFlush(statements, 0);
    });
  }

  private queue: QueuedInsert[] = [];
  private flushScheduled = false;
  private waitingSince = 0;

  private scheduleFlush(statements: SqliteStatements, attempt: number): void {
    this.flushScheduled = true;
    const run = () => {
      this.flushScheduled = false;
      this.flush(statements, attempt);
    };
    // The lock is held for one group's commit (tens of µs): retry on the next turn, then back off.
    if (attempt < 64) setImmediate(run);
    else setTimeout(run, 1);
  }

  private flush(statements: SqliteStatements, attempt: number): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    const { connection } = statements;
    if (attempt === 0) this.waitingSince = Date.now();
    if (!connection.open) {
      this.queue = [];
      for (const entry of batch) entry.reject(new Error("The SQLite connection is closed"));
      return;
    }
    let locked = false;
    if (!connection.inTransaction) {
      statements.noBusyWait.get();
      try {
        statements.begin.run();
        locked = true;
      } catch (error) {
        if (!isBusy(error)) {
          this.queue = [];
          for (const entry of batch) entry.reject(error);
          return;
        }
      } finally {
        statements.busyWait.get();
      }
    }
    if (!locked) {
      if (Date.now() - this.waitingSince < BUSY_TIMEOUT_MS) {
        this.scheduleFlush(statements, attempt + 1);
        return;
      }
      this.queue = [];
      const error = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      for (const entry of batch) entry.reject(error);
      return;
    }
    this.queue = [];
    try {
      for (const entry of batch) statements.insertAccessToken.run(...tokenValues(entry.row));
      statements.commit.run();
    } catch {
      if (connection.inTransaction) statements.rollback.run();
      // One bad row must not fail the others: write them one by one.
      for (const entry of batch) {
        try {
          statements.insertAccessToken.run(...tokenValues(entry.row));
          entry.resolve();
        } catch (error) {
          entry.reject(error);
        }
      }
      return;
    }
    for (const entry of batch) entry.resolve();
  }

  async policyRevision(id: number): Promise<number> {
    const row = (await this.prepared()).policyRevision.get(id) as { revision: number } | undefined;
    return row ? Number(row.revision) : 0;
  }

  async clientRevision(): Promise<number> {
    const row = (await this.prepared()).clientRevision.get(REVISION_ROW) as { revision: number } | undefined;
    return row ? Number(row.revision) : 0;
  }

  async clientWithRevision(id: string): Promise<{ client: OAuth2Client | null; clientRevision: number }> {
    const row = (await this.prepared()).clientWithRevision.get(id) as Record<string, Value>;
    return withClient(row);
  }

  async accessTokenWithRevisions(hash: string): Promise<{ token: AccessToken | null } & Revisions> {
    const row = (await this.prepared()).accessTokenWithRevisions.get(hash) as Record<string, Value>;
    return withToken(row);
  }
}

const TIMESTAMP_OID = 1114;

/** TIMESTAMP(3) holds UTC wall time (as Prisma writes it), whatever the process's time zone. */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID && format !== "binary"
      ? (value: string) => new Date(`${value.replace(" ", "T")}Z`)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

/** PostgreSQL's TIMESTAMP ignores a zone in its input: give it the UTC wall time. */
function pgDate(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function pgTokenValues(t: AccessToken): unknown[] {
  return [
    t.hash,
    t.grantId,
    t.clientId,
    t.subject,
    t.scopes,
    t.extra,
    pgDate(t.issuedAt),
    pgDate(t.expiresAt),
    pgDate(t.revokedAt),
  ];
}

interface PendingLookup {
  hash: string;
  resolve(result: { token: AccessToken | null } & Revisions): void;
  reject(error: unknown): void;
}

interface PendingInsert {
  row: AccessToken;
  clientRevision: number;
  resolve(written: boolean): void;
  reject(error: unknown): void;
}

/** Raw queries as named prepared statements on Prisma's pg Pool. */
export class PostgresRawQueries implements RawQueries {
  constructor(private readonly pool: pg.Pool) {}

  private async query(name: string, text: string, values: unknown[]): Promise<Record<string, Value>[]> {
    const result = await this.pool.query({ name: `portico_${name}`, text, values, types: pgTypes });
    return result.rows as Record<string, Value>[];
  }

  async clientById(id: string): Promise<OAuth2Client | null> {
    const [row] = await this.query("client_by_id", SQL.clientById, [id]);
    return row ? clientRow(row) : null;
  }

  async accessTokenByHash(hash: string): Promise<AccessToken | null> {
    const [row] = await this.query("access_token_by_hash", SQL.accessTokenByHash, [hash]);
    return row ? tokenRow(row) : null;
  }

  async insertAccessToken(t: AccessToken): Promise<void> {
    await this.query("insert_access_token", SQL.insertAccessToken, pgTokenValues(t));
  }

  /**
   * The inserts asked for in one turn of the event loop at the same client
   * revision go out as one statement (one round trip, one commit); each call
   * resolves once its row is committed, or with false when the revision moved
   * (then no row of the group was written). If the group fails, its rows are
   * written one by one so that one bad row fails alone.
   */
  insertAccessTokenAtClientRevision(t: AccessToken, clientRevision: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ row: t, clientRevision, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flushPending());
    });
  }

  private pending: PendingInsert[] = [];

  private flushPending(): void {
    const pending = this.pending;
    this.pending = [];
    const groups = new Map<number, PendingInsert[]>();
    for (const entry of pending) {
      const group = groups.get(entry.clientRevision);
      if (group) group.push(entry);
      else groups.set(entry.clientRevision, [entry]);
    }
    for (const [clientRevision, group] of groups) {
      this.insertGroup(group, clientRevision).then(
        (written) => {
          for (const entry of group) entry.resolve(written);
        },
        async () => {
          for (const entry of group) {
            await this.insertGroup([entry], clientRevision).then(entry.resolve, entry.reject);
          }
        },
      );
    }
  }

  private async insertGroup(group: PendingInsert[], clientRevision: number): Promise<boolean> {
    const columns: unknown[][] = Array.from({ length: 9 }, () => new Array(group.length));
    group.forEach((entry, i) => {
      pgTokenValues(entry.row).forEach((value, column) => {
        (columns[column] as unknown[])[i] = value;
      });
    });
    const result = await this.pool.query({
      name: "portico_insert_access_tokens_at_client_revision",
      text: SQL.insertAccessTokensAtClientRevision,
      values: [...columns, clientRevision],
    });
    return result.rowCount === group.length;
  }

  async clientWithRevision(id: string): Promise<{ client: OAuth2Client | null; clientRevision: number }> {
    const [row] = await this.query("client_with_revision", SQL.clientWithRevision, [id]);
    return withClient(row as Record<string, Value>);
  }

  /**
   * The lookups asked for in one turn of the event loop go out as one
   * statement, which starts after every one of them was asked: each sees
   * every write committed before its request arrived.
   */
  accessTokenWithRevisions(hash: string): Promise<{ token: AccessToken | null } & Revisions> {
    return new Promise((resolve, reject) => {
      this.lookups.push({ hash, resolve, reject });
      if (this.lookups.length === 1) setImmediate(() => this.flushLookups());
    });
  }

  private lookups: PendingLookup[] = [];

  private flushLookups(): void {
    const lookups = this.lookups;
    this.lookups = [];
    if (lookups.length === 1) {
      const [only] = lookups as [PendingLookup];
      this.query("access_token_with_revisions", SQL.accessTokenWithRevisions, [only.hash]).then(
        ([row]) => only.resolve(withToken(row as Record<string, Value>)),
        only.reject,
      );
      return;
    }
    this.query("access_tokens_with_revisions", SQL.accessTokensWithRevisions, [
      lookups.map((lookup) => lookup.hash),
    ]).then(
      (rows) => {
        for (const row of rows) lookups[Number(row.i) - 1]?.resolve(withToken(row));
        // Every hash has its row (LEFT JOIN); should one be missing, fail it rather than hang.
        for (const lookup of lookups) lookup.reject(new Error("The token lookup returned no row"));
      },
      (error: unknown) => {
        for (const lookup of lookups) lookup.reject(error);
      },
    );
  }

  /**
   * The reads asked for in one turn of the event loop share one query, which
   * starts after every one of them was asked (so each sees every write
   * committed before its request arrived).
   */
  policyRevision(id: number): Promise<number> {
    return this.sharedRevision("policy_revision", id);
  }

  clientRevision(): Promise<number> {
    return this.sharedRevision("client_revision", REVISION_ROW);
  }

  private sharedRevision(table: "policy_revision" | "client_revision", id: number): Promise<number> {
    const key = `${table}:${id}`;
    let shared = this.revisionReads.get(key);
    if (!shared) {
      shared = new Promise<number>((resolve, reject) => {
        setImmediate(() => {
          this.revisionReads.delete(key);
          const sql = table === "policy_revision" ? SQL.policyRevision : SQL.clientRevision;
          this.query(table, sql, [id]).then(([row]) => resolve(row ? Number(row.revision) : 0), reject);
        });
      });
      this.revisionReads.set(key, shared);
    }
    return shared;
  }

  private readonly revisionReads = new Map<string, Promise<number>>();
}
