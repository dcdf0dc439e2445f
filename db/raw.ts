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
 * - PostgreSQL: the pg Pool Prisma's adapter uses, named prepared statements
 *   (unnamed behind a pooler in transaction mode: see PostgresRawQueries),
 *   TIMESTAMP(3) columns read and written as UTC.
 *
 * Nothing is cached here: every call asks the database. The revision rows
 * (policy_revision, client_revision; id 1) are read in the same statement as
 * the row they come with, so a caller can validate what it keeps in memory
 * without a round trip of its own.
 */
export interface RawQueries {
  clientById(id: string): Promise<OAuth2Client | null>;
  /** The access token, or null when it is unknown or not usable (see usable: client gone, grant revoked). */
  accessTokenByHash(hash: string): Promise<AccessToken | null>;
  insertAccessToken(row: AccessToken): Promise<void>;
  policyRevision(id: number): Promise<number>;
  /** The client revision alone (0 when its row does not exist). */
  clientRevision(): Promise<number>;
  /** The client (or null) and the client revision, read in one statement. */
  clientWithRevision(id: string): Promise<{ client: OAuth2Client | null; clientRevision: number }>;
  /** The access token (or null, as accessTokenByHash) and both revisions, read in one statement. */
  accessTokenWithRevisions(hash: string): Promise<{ token: AccessToken | null } & Revisions>;
  /**
   * Inserts the token only if the client revision is still `clientRevision`,
   * in one statement; false (nothing written) when a client write moved it.
   * Only where one statement is cheaper than a read and a write (PostgreSQL).
   */
  insertAccessTokenAtClientRevision?(row: AccessToken, clientRevision: number): Promise<boolean>;
  /** The row whose key column holds `key` (the key columns, in order, `key`), or null. */
  rowByKey<Row>(shape: RowShape<Row>, key: string | readonly string[]): Promise<Row | null>;
  /**
   * Runs the writes, in order, as one transaction: all or nothing. Answers
   * undefined once every write is committed, or the refusal of the first
   * condition that did not hold (see Write; nothing is written then). A
   * statement that fails rolls everything back and throws.
   *
   * SQLite runs the whole transaction in one synchronous step (no other code
   * can use the shared connection in between), never inside a transaction
   * Prisma has open, and waits for the write lock as the grouped token
   * inserts do. PostgreSQL runs one statement alone, a use with its checks
   * and inserts compiled into one statement, any other list between BEGIN
   * and COMMIT on one pooled connection (READ COMMITTED, as Prisma's
   * transactions: an UPDATE that waited for a row another transaction
   * changed sees that change in its condition).
   */
  transaction<Refusal extends string>(writes: readonly Write<Refusal>[]): Promise<Refusal | undefined>;
}

/** A value a write binds; each backend encodes dates and booleans as Prisma's adapter does. */
export type Param = string | number | boolean | Date | null;

/**
 * One statement of a transaction: SQL with $1…$n, each parameter used once
 * and in order (SQLite binds them by position), and its values.
 *
 * With `expect`, the statement is also a condition: an UPDATE whose WHERE
 * states what must hold must change exactly one row ("changes one row"); a
 * SELECT of what must not exist must find none ("finds no row"). When it
 * does not, the transaction rolls back and answers `refused`.
 */
export interface Write<Refusal extends string = never> {
  sql: string;
  values: readonly Param[];
  expect?: { outcome: "changes one row" | "finds no row"; refused: Refusal };
}

/** Whether a condition's statement did what it must, from the rows it changed or found. */
export function expectationHolds(outcome: "changes one row" | "finds no row", rows: number): boolean {
  return outcome === "changes one row" ? rows === 1 : rows === 0;
}

/** An UPDATE that must change exactly one row, else the transaction answers `refused`. */
export function changesOneRow<Refusal extends string>(
  sql: string,
  values: readonly Param[],
  refused: Refusal,
): Write<Refusal> {
  return { sql, values, expect: { outcome: "changes one row", refused } };
}

/** A SELECT that must find no row, else the transaction answers `refused`. */
export function findsNoRow<Refusal extends string>(
  sql: string,
  values: readonly Param[],
  refused: Refusal,
): Write<Refusal> {
  return { sql, values, expect: { outcome: "finds no row", refused } };
}

const insertSqlOf = new WeakMap<RowShape<unknown>, string>();

/**
 * Inserts a whole row of a shape (every column given: the column defaults
 * Prisma fills in, such as createdAt, are the caller's to fill as Prisma would).
 */
export function insertRow<Row>(shape: RowShape<Row>, row: Row): Write {
  const columns = Object.keys(shape.columns) as (keyof Row & string)[];
  let sql = insertSqlOf.get(shape as RowShape<unknown>);
  if (sql === undefined) {
    const names = columns.map((column) => `"${column}"`).join(", ");
    const params = columns.map((_, i) => `$${i + 1}`).join(", ");
    sql = `INSERT INTO "${shape.table}" (${names}) VALUES (${params})`;
    insertSqlOf.set(shape as RowShape<unknown>, sql);
  }
  return { sql, values: columns.map((column) => row[column] as Param) };
}

/** How a column is stored and read back: text, DateTime, Int or Boolean. */
export type ColumnKind = "text" | "date" | "int" | "bool";

/**
 * A table read by a unique key (one column, or several for a compound
 * unique), as a prepared statement instead of Prisma's `findUnique` (the
 * flow's lookups: consent requests, codes, grants, the app's sessions).
 * `columns` names every field of `Row` (the type checks it against Prisma's
 * row type, or the part of it a caller may see), so the row read is the row
 * Prisma would give.
 */
export interface RowShape<Row> {
  /** Names the statement; unique per shape. */
  name: string;
  table: string;
  key: (keyof Row & string) | readonly (keyof Row & string)[];
  columns: { [column in keyof Row & string]: ColumnKind };
  /** A code or token table: rowByKey finds only a usable row (see usable). */
  onlyUsable?: boolean;
}

/** The key columns of a shape, in the order their values are bound. */
function keyColumns<Row>(shape: RowShape<Row>): readonly string[] {
  return typeof shape.key === "string" ? [shape.key] : shape.key;
}

/** A key's values in the order of keyColumns; a mismatch is a programming error. */
export function keyValues<Row>(shape: RowShape<Row>, key: string | readonly string[]): readonly string[] {
  const values = typeof key === "string" ? [key] : key;
  if (values.length !== keyColumns(shape).length)
    throw new Error(`${shape.name}: wrong number of key values`);
  return values;
}

const rowByKeySqlOf = new WeakMap<RowShape<unknown>, string>();

/** The shape's lookup, built once per shape (the same string each call: statement caches key on it). */
export function rowByKeySql<Row>(shape: RowShape<Row>): string {
  let sql = rowByKeySqlOf.get(shape as RowShape<unknown>);
  if (sql === undefined) {
    const columns = Object.keys(shape.columns)
      .map((column) => `"${column}"`)
      .join(", ");
    const where = keyColumns(shape)
      .map((column, i) => `"${column}" = $${i + 1}`)
      .join(" AND ");
    const usableOnly = shape.onlyUsable ? ` AND ${usable(`"${shape.table}"`)}` : "";
    sql = `SELECT ${columns} FROM "${shape.table}" WHERE ${where}${usableOnly} LIMIT 1`;
    rowByKeySqlOf.set(shape as RowShape<unknown>, sql);
  }
  return sql;
}

/** A row as the database returned it, with each column as the model types it. */
export function shapedRow<Row>(shape: RowShape<Row>, r: Record<string, Value>): Row {
  const row: Record<string, unknown> = {};
  for (const [column, kind] of Object.entries(shape.columns) as [string, ColumnKind][]) {
    const value = r[column] ?? null;
    if (value === null) row[column] = null;
    else if (kind === "date") row[column] = toDate(value);
    else if (kind === "bool") row[column] = toBoolean(value);
    else if (kind === "int") row[column] = Number(value);
    else row[column] = value;
  }
  return row as Row;
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
const TOKEN_COLUMNS = `"hash", "grantId", "clientId", "subject", "scopes", "extra", "issuedAt", "expiresAt", "revokedAt",
  "audience"`;

const prefixed = (alias: string, columns: string) =>
  columns
    .split(",")
    .map((column) => `${alias}.${column.trim()}`)
    .join(", ");
/**
 * What makes a stored code or token usable beyond its own columns, on the row
 * `alias` names: its client still exists and its grant is not revoked (two
 * probes by primary key). A revocation or a client deletion marks first and
 * tokens are checked when read, so a token written while the revocation ran
 * (a refresh that committed between its steps, an insert that passed its
 * client check before the deletion committed) is dead at its first use.
 */
export function usable(alias: string): string {
  return `EXISTS (SELECT 1 FROM "oauth2_clients" WHERE "oauth2_clients"."id" = ${alias}."clientId")
    AND NOT EXISTS (SELECT 1 FROM "revoked_grants" WHERE "revoked_grants"."grantId" = ${alias}."grantId")`;
}

const POLICY_REVISION = `COALESCE((SELECT "revision" FROM "policy_revision" WHERE "id" = ${REVISION_ROW}), 0)`;
const CLIENT_REVISION = `COALESCE((SELECT "revision" FROM "client_revision" WHERE "id" = ${REVISION_ROW}), 0)`;

export const SQL = {
  clientWithRevision: `SELECT r."clientRevision", ${prefixed("c", CLIENT_COLUMNS)}
    FROM (SELECT ${CLIENT_REVISION} AS "clientRevision") r LEFT JOIN "oauth2_clients" c ON c."id" = $1`,
  accessTokenWithRevisions: `SELECT r."policyRevision", r."clientRevision", ${prefixed("t", TOKEN_COLUMNS)}
    FROM (SELECT ${POLICY_REVISION} AS "policyRevision", ${CLIENT_REVISION} AS "clientRevision") r
    LEFT JOIN "access_tokens" t ON t."hash" = $1 AND ${usable("t")}`,
  // Many lookups in one statement: one row per presented hash (in order), revisions read once for all.
  accessTokensWithRevisions: `SELECT r."policyRevision", r."clientRevision", h."i", ${prefixed("t", TOKEN_COLUMNS)}
    FROM (SELECT ${POLICY_REVISION} AS "policyRevision", ${CLIENT_REVISION} AS "clientRevision") r
    CROSS JOIN unnest($1::text[]) WITH ORDINALITY AS h("hash", "i")
    LEFT JOIN "access_tokens" t ON t."hash" = h."hash" AND ${usable("t")}`,
  // Many rows in one statement (one column array each), all or none: the condition does not depend on the row.
  insertAccessTokensAtClientRevision: `INSERT INTO "access_tokens" (${TOKEN_COLUMNS})
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
      $7::timestamp(3)[], $8::timestamp(3)[], $9::timestamp(3)[], $10::text[])
    WHERE ${CLIENT_REVISION} = $11::integer`,
  clientById: `SELECT ${CLIENT_COLUMNS} FROM "oauth2_clients" WHERE "id" = $1 LIMIT 1`,
  accessTokenByHash: `SELECT ${prefixed("t", TOKEN_COLUMNS)} FROM "access_tokens" t
    WHERE t."hash" = $1 AND ${usable("t")} LIMIT 1`,
  insertAccessToken: `INSERT INTO "access_tokens" (${TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  policyRevision: `SELECT "revision" FROM "policy_revision" WHERE "id" = $1 LIMIT 1`,
  clientRevision: `SELECT "revision" FROM "client_revision" WHERE "id" = $1 LIMIT 1`,
};

export type Value = string | number | bigint | null | boolean | Date;

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

export function clientRow(r: Record<string, Value>): OAuth2Client {
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

export function tokenRow(r: Record<string, Value>): AccessToken {
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
    audience: (r.audience ?? null) as string | null,
  };
}

export function withClient(row: Record<string, Value>): {
  client: OAuth2Client | null;
  clientRevision: number;
} {
  return { client: row.id == null ? null : clientRow(row), clientRevision: Number(row.clientRevision) };
}

export function withToken(row: Record<string, Value>): { token: AccessToken | null } & Revisions {
  return {
    token: row.hash == null ? null : tokenRow(row),
    policyRevision: Number(row.policyRevision),
    clientRevision: Number(row.clientRevision),
  };
}
