import pg from "pg";
import type { AccessToken, OAuth2Client } from "@/generated/prisma/sqlite/client.ts";
import {
  clientRow,
  type RawQueries,
  REVISION_ROW,
  type Revisions,
  type RowShape,
  rowByKeySql,
  SQL,
  shapedRow,
  tokenRow,
  type Value,
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

  async rowByKey<Row>(shape: RowShape<Row>, key: string): Promise<Row | null> {
    const [row] = await this.query(`row_${shape.name}`, rowByKeySql(shape), [key]);
    return row ? shapedRow(shape, row) : null;
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
