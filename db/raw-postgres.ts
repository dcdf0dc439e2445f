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
  ];
}

interface ConditionalInsert {
  row: AccessToken;
  clientRevision: number;
}

type RevisionTable = "policy_revision" | "client_revision";

/** Raw queries as named prepared statements on Prisma's pg Pool. */
export class PostgresRawQueries implements RawQueries {
  constructor(private readonly pool: pg.Pool) {}

  private async query(name: string, text: string, values: unknown[]): Promise<Record<string, Value>[]> {
    const result = await this.pool.query({ name: `portico_${name}`, text, values, types: pgTypes });
    return result.rows as Record<string, Value>[];
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
    return { name, text: sql, values: values.map(pgValue) };
  }

  /** See RawQueries.transaction. One statement needs no BEGIN: it is a transaction of its own. */
  async transaction<Refusal extends string>(writes: readonly Write<Refusal>[]): Promise<Refusal | undefined> {
    const [only] = writes;
    if (writes.length === 1 && only) {
      const { rowCount } = await this.pool.query(this.writeQuery(only.sql, only.values));
      return only.expect && !expectationHolds(only.expect.outcome, rowCount ?? 0)
        ? only.expect.refused
        : undefined;
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
    const columns: unknown[][] = Array.from({ length: 9 }, () => new Array(rows.length));
    rows.forEach((row, i) => {
      pgTokenValues(row).forEach((value, column) => {
        (columns[column] as unknown[])[i] = value;
      });
    });
    const result = await this.pool.query({
      name: "portico_insert_access_tokens_at_client_revision",
      text: SQL.insertAccessTokensAtClientRevision,
      values: [...columns, clientRevision],
    });
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
