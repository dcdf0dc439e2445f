import pg from "pg";
import type { AccessToken, OAuth2Client } from "@/generated/prisma/sqlite/client.ts";
import { asError, perTurn } from "./batch.ts";
import {
  clientRow,
  expectationHolds,
  keyValues,
  type Param,
  type RawQueries,
  REVISION_ROW,
  type Revisions,
  type RowShape,
  rowByKeySql,
  SQL,
  shapedRow,
  tokenRow,
  type Value,
  type Write,
  withClient,
  withToken,
} from "./raw.ts";

/** The PostgreSQL half of the prepared-statement layer (see db/raw.ts). */

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

/** A value as the pg driver should send it: a DateTime as its UTC wall time. */
function pgValue(value: Param): string | number | boolean | null {
  return value instanceof Date ? pgDate(value) : value;
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
    t.audience,
  ];
}

interface ConditionalInsert {
  row: AccessToken;
  clientRevision: number;
}

type RevisionTable = "policy_revision" | "client_revision";

/** SQLSTATEs of a named prepared statement that another server connection has or lacks. */
const PREPARED_ELSEWHERE = new Set([
  "26000", // prepared statement "…" does not exist
  "42P05", // prepared statement "…" already exists
]);

/**
 * Raw queries as named prepared statements on Prisma's pg Pool; behind a pooler in transaction
 * mode (`pooled`: `?pgbouncer=true`) as unnamed ones, since a statement prepared on one server
 * connection is then missing on the next ("does not exist") or already there ("already exists").
 * A URL to a pooler without `?pgbouncer=true` (Neon's pooled host names carry none) shows itself
 * by those errors: the process then goes on with unnamed statements, and runs again the work that
 * failed (refused at Parse or Bind, or rolled back with its transaction: nothing of it was done).
 */
export class PostgresRawQueries implements RawQueries {
  constructor(
    private readonly pool: pg.Pool,
    private pooled = false,
  ) {}

  /** The statement's name, or none (an unnamed statement, parsed each time) behind a pooler. */
  private named(name: string): { name?: string } {
    return this.pooled ? {} : { name };
  }

  /** Runs `work`, and once more with unnamed statements if a pooler refused a named one. */
  private async prepared<T>(work: () => Promise<T>): Promise<T> {
    const named = !this.pooled;
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // A call that started with names while another switched retries too.
      if (!named || typeof code !== "string" || !PREPARED_ELSEWHERE.has(code)) throw error;
      this.pooled = true;
      return work();
    }
  }

  private query(name: string, text: string, values: unknown[]): Promise<Record<string, Value>[]> {
    return this.prepared(async () => {
      const query = { ...this.named(`portico_${name}`), text, values, types: pgTypes };
      return (await this.pool.query(query)).rows as Record<string, Value>[];
    });
  }

  async rowByKey<Row>(shape: RowShape<Row>, key: string | readonly string[]): Promise<Row | null> {
    const [row] = await this.query(`row_${shape.name}`, rowByKeySql(shape), [...keyValues(shape, key)]);
    return row ? shapedRow(shape, row) : null;
  }

  /** Named prepared statements for the writes, by their SQL; named on first use, in this process. */
  private readonly writeNames = new Map<string, string>();

  private writeQuery(sql: string, values: readonly Param[]): pg.QueryConfig {
    let name = this.writeNames.get(sql);
    if (name === undefined) {
      name = `portico_write_${this.writeNames.size + 1}`;
      this.writeNames.set(sql, name);
    }
    return { ...this.named(name), text: sql, values: values.map(pgValue) };
  }

  /**
   * See RawQueries.transaction. One statement needs no BEGIN: it is a
   * transaction of its own. So is the flow's usual list — a use, the checks
   * that must find nothing, the rows it creates — compiled into one statement
   * (one round trip instead of one per write plus BEGIN and COMMIT).
   */
  transaction<Refusal extends string>(writes: readonly Write<Refusal>[]): Promise<Refusal | undefined> {
    return this.prepared(() => this.run(writes));
  }

  private async run<Refusal extends string>(writes: readonly Write<Refusal>[]): Promise<Refusal | undefined> {
    const [only] = writes;
    if (writes.length === 1 && only) {
      const { rowCount } = await this.pool.query(this.writeQuery(only.sql, only.values));
      return only.expect && !expectationHolds(only.expect.outcome, rowCount ?? 0)
        ? only.expect.refused
        : undefined;
    }
    const statement = oneStatement(writes);
    if (statement) {
      const { rows } = await this.pool.query(this.writeQuery(statement.sql, statement.values));
      return statement.refusal(rows[0] as Record<string, unknown>);
    }
    const connection = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await connection.query("BEGIN");
      for (const { sql, values, expect } of writes) {
        const { rowCount } = await connection.query(this.writeQuery(sql, values));
        if (expect && !expectationHolds(expect.outcome, rowCount ?? 0)) {
          await connection.query("ROLLBACK");
          return expect.refused;
        }
      }
      await connection.query("COMMIT");
      return undefined;
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool rather than reused.
      await connection.query("ROLLBACK").catch((failed: unknown) => {
        broken = asError(failed);
      });
      throw error;
    } finally {
      connection.release(broken);
    }
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
  insertAccessTokenAtClientRevision(row: AccessToken, clientRevision: number): Promise<boolean> {
    return this.conditionalInserts({ row, clientRevision });
  }

  private readonly conditionalInserts = perTurn(async (inserts: readonly ConditionalInsert[]) => {
    const results: Array<boolean | Error> = [];
    const groups = new Map<number, number[]>();
    inserts.forEach(({ clientRevision }, i) => {
      const group = groups.get(clientRevision);
      if (group) group.push(i);
      else groups.set(clientRevision, [i]);
    });
    const rowsOf = (indices: number[]) => indices.map((i) => (inserts[i] as ConditionalInsert).row);
    await Promise.all(
      Array.from(groups, async ([clientRevision, indices]) => {
        try {
          const written = await this.insertGroup(rowsOf(indices), clientRevision);
          for (const i of indices) results[i] = written;
        } catch {
          for (const i of indices) {
            results[i] = await this.insertGroup(rowsOf([i]), clientRevision).catch(asError);
          }
        }
      }),
    );
    return results;
  });

  private async insertGroup(rows: AccessToken[], clientRevision: number): Promise<boolean> {
    const columns: unknown[][] = Array.from({ length: 10 }, () => new Array(rows.length));
    rows.forEach((row, i) => {
      pgTokenValues(row).forEach((value, column) => {
        (columns[column] as unknown[])[i] = value;
      });
    });
    const result = await this.prepared(() =>
      this.pool.query({
        ...this.named("portico_insert_access_tokens_at_client_revision"),
        text: SQL.insertAccessTokensAtClientRevision,
        values: [...columns, clientRevision],
      }),
    );
    return result.rowCount === rows.length;
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
    return this.tokenLookups(hash);
  }

  private readonly tokenLookups = perTurn(async (hashes: readonly string[]) => {
    if (hashes.length === 1) {
      const [row] = await this.query("access_token_with_revisions", SQL.accessTokenWithRevisions, [
        hashes[0],
      ]);
      return [withToken(row as Record<string, Value>)];
    }
    const rows = await this.query("access_tokens_with_revisions", SQL.accessTokensWithRevisions, [hashes]);
    // Every hash has its row (LEFT JOIN); should one be missing, fail its call rather than hang.
    const results: Array<({ token: AccessToken | null } & Revisions) | Error> = hashes.map(
      () => new Error("The token lookup returned no row"),
    );
    for (const row of rows) results[Number(row.i) - 1] = withToken(row);
    return results;
  });

  /**
   * The reads of a revision asked for in one turn of the event loop share one
   * query, which starts after every one of them was asked (so each sees every
   * write committed before its request arrived).
   */
  policyRevision(id: number): Promise<number> {
    return this.revisionReads({ table: "policy_revision", id });
  }

  clientRevision(): Promise<number> {
    return this.revisionReads({ table: "client_revision", id: REVISION_ROW });
  }

  private readonly revisionReads = perTurn(async (reads: readonly { table: RevisionTable; id: number }[]) => {
    const shared = new Map<string, Promise<number>>();
    const read = ({ table, id }: { table: RevisionTable; id: number }) => {
      const key = `${table}:${id}`;
      let value = shared.get(key);
      if (!value) {
        const sql = table === "policy_revision" ? SQL.policyRevision : SQL.clientRevision;
        value = this.query(table, sql, [id]).then(([row]) => (row ? Number(row.revision) : 0));
        shared.set(key, value);
      }
      return value;
    };
    return Promise.all(reads.map((r) => read(r).catch(asError)));
  });
}

/**
 * A transaction of one statement: what `oneStatement` makes of a list of
 * writes, and how to read its refusal from the row the statement answers.
 */
interface OneStatement<Refusal extends string> {
  sql: string;
  values: Param[];
  refusal(row: Record<string, unknown>): Refusal | undefined;
}

const UPDATE = /^UPDATE\s+("\w+")\s+SET\s+([\s\S]+?)\s+WHERE\s+([\s\S]+)$/;
const NOT_FOUND = /^SELECT\s+1\s+FROM\s+([\s\S]+)$/;
const INSERT = /^INSERT INTO ("\w+") \(([^()]+)\) VALUES \((\$\d+(?:, \$\d+)*)\)$/;

/** The writes' statement by the list's SQL texts and conditions (null: the list has another shape). */
const compiled = new Map<string, { sql: string; checks: number } | null>();

/**
 * The list as ONE statement when its shape is the one this proves safe, else
 * undefined (the list then runs between BEGIN and COMMIT):
 *
 * - first an UPDATE that must change one row (the use of a consent request,
 *   a code or a refresh token), its SET free of subqueries;
 * - then any SELECTs that must find no row (a deleted subject), folded into
 *   the UPDATE's WHERE as NOT EXISTS, so a refused check changes nothing;
 * - then INSERTs of one row each (`insertRow`), each made `INSERT … SELECT …
 *   FROM "used"`: a row exists only if the UPDATE changed one.
 *
 * The UPDATE decides everything, and under READ COMMITTED it re-checks its
 * WHERE on the row's newest version after waiting for another transaction's
 * lock on it: of concurrent uses exactly one changes the row, and only its
 * rows are written (an UPDATE that changed two rows would insert each row
 * twice: its keys collide and the whole statement fails). The statement
 * answers whether the UPDATE changed a row and, to name the refusal as the
 * writes in order would, whether its own condition held and which check found
 * a row (on the statement's snapshot).
 */
function oneStatement<Refusal extends string>(
  writes: readonly Write<Refusal>[],
): OneStatement<Refusal> | undefined {
  const [use, ...rest] = writes;
  if (use?.expect?.outcome !== "changes one row") return undefined;
  const key = writes.map((w) => `${w.expect?.outcome ?? "write"}\u0000${w.sql}`).join("\u0001");
  let statement = compiled.get(key);
  if (statement === undefined) {
    statement = compile(writes);
    compiled.set(key, statement);
  }
  if (statement === null) return undefined;
  const checks = rest.slice(0, statement.checks);
  return {
    sql: statement.sql,
    values: writes.flatMap((w) => w.values),
    refusal(row) {
      if (Number(row.changed) === 1) return undefined;
      const failed = row.held === true ? checks.find((_, i) => row[`found_${i + 1}`] === true) : undefined;
      return (failed ?? use).expect?.refused;
    },
  };
}

/** The statement of oneStatement, or null when a write does not have the shape it needs. */
function compile(writes: readonly Write<string>[]): { sql: string; checks: number } | null {
  let offset = 0;
  // Each write's $1…$n become its place in the one list of values.
  const [use, ...rest] = writes.map(({ sql, values }) => {
    const at = offset;
    offset += values.length;
    return sql.trim().replace(/\$(\d+)/g, (_, n: string) => `$${at + Number(n)}`);
  });
  const update = UPDATE.exec(use ?? "");
  if (!update || /\b(SELECT|WHERE)\b/i.test(update[2] as string)) return null;
  const [, table, set, where] = update;

  const checks: string[] = [];
  const inserts: string[] = [];
  for (const [i, sql] of rest.entries()) {
    const outcome = writes[i + 1]?.expect?.outcome;
    const found = NOT_FOUND.exec(sql);
    const insert = INSERT.exec(sql);
    if (outcome === "finds no row" && found && inserts.length === 0) checks.push(`SELECT 1 FROM ${found[1]}`);
    else if (outcome === undefined && insert) {
      const [, into, columns, values] = insert;
      inserts.push(`INSERT INTO ${into} (${columns}) SELECT ${values} FROM "used"`);
    } else return null;
  }

  const notFound = checks.map((check) => ` AND NOT EXISTS (${check})`).join("");
  const sql = [
    `WITH "used" AS (UPDATE ${table} SET ${set} WHERE (${where})${notFound} RETURNING 1)`,
    ...inserts.map((insert, i) => `, "insert_${i + 1}" AS (${insert})`),
    ` SELECT (SELECT count(*) FROM "used")::integer AS "changed"`,
    checks.length > 0 ? `, EXISTS (SELECT 1 FROM ${table} WHERE ${where}) AS "held"` : "",
    ...checks.map((check, i) => `, EXISTS (${check}) AS "found_${i + 1}"`),
  ].join("");
  return { sql, checks: checks.length };
}
