import type BetterSqlite3 from "better-sqlite3";
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

/** The SQLite half of the prepared-statement layer (see db/raw.ts). */

/** better-sqlite3 binds anonymous `?` parameters; each statement uses $1…$n in order. */
function forSqlite(sql: string): string {
  return sql.replace(/\$\d+/g, "?");
}

/** adapter-better-sqlite3's default DateTime encoding. */
function sqliteDate(date: Date | null): string | null {
  return date === null ? null : date.toISOString().replace("Z", "+00:00");
}

/** A value as adapter-better-sqlite3 binds it: DateTime as sqliteDate, Boolean as 0/1. */
function sqliteValue(value: Param): string | number | null {
  if (value instanceof Date) return sqliteDate(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
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

interface WaitingGroup {
  rows: AccessToken[];
  written: Promise<Array<undefined | Error>>;
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
    t.audience,
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

  /** Statements prepared on first use, by their SQL ($1…$n form), for the connection that prepared them. */
  private readonly bySql = new Map<string, BetterSqlite3.Statement>();

  private statement(connection: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
    let statement = this.bySql.get(sql);
    if (!statement || statement.database !== connection) {
      statement = connection.prepare(forSqlite(sql));
      if (statement.reader) statement.safeIntegers(false);
      this.bySql.set(sql, statement);
    }
    return statement;
  }

  async rowByKey<Row>(shape: RowShape<Row>, key: string | readonly string[]): Promise<Row | null> {
    const { connection } = await this.prepared();
    const row = this.statement(connection, rowByKeySql(shape)).get(...keyValues(shape, key)) as
      | Record<string, Value>
      | undefined;
    return row ? shapedRow(shape, row) : null;
  }

  /** See RawQueries.transaction; the write lock is waited for as by the grouped inserts. */
  async transaction<Refusal extends string>(writes: readonly Write<Refusal>[]): Promise<Refusal | undefined> {
    const outcome = await this.whenWriteLockFree((statements) => this.transactionNow(statements, writes));
    return outcome.refused;
  }

  /**
   * The writes in one transaction, all within this call; undefined, nothing
   * written, when the write lock is not free now.
   */
  private transactionNow<Refusal extends string>(
    statements: SqliteStatements,
    writes: readonly Write<Refusal>[],
  ): { refused?: Refusal } | undefined {
    const { connection } = statements;
    if (!this.beginNow(statements)) return undefined;
    try {
      for (const { sql, values, expect } of writes) {
        const statement = this.statement(connection, sql);
        const bound = values.map(sqliteValue);
        const rows = statement.reader ? statement.all(...bound).length : statement.run(...bound).changes;
        if (expect && !expectationHolds(expect.outcome, rows)) {
          statements.rollback.run();
          return { refused: expect.refused };
        }
      }
      statements.commit.run();
      return {};
    } catch (error) {
      if (connection.inTransaction) statements.rollback.run();
      throw error;
    }
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
  insertAccessToken(row: AccessToken): Promise<void> {
    return this.inserts(row);
  }

  private readonly inserts = perTurn(async (rows: readonly AccessToken[]) => {
    // A group that waits for the lock takes the rows of later turns along: one commit for all.
    const waiting = this.waiting;
    if (waiting) {
      const from = waiting.rows.length;
      waiting.rows.push(...rows);
      return (await waiting.written).slice(from, from + rows.length);
    }
    const group: WaitingGroup = { rows: [...rows], written: Promise.resolve([]) };
    group.written = this.writeWhenFree(group);
    return (await group.written).slice(0, rows.length);
  });

  /** The group of rows waiting for the write lock, if one is. */
  private waiting: WaitingGroup | undefined;

  private async writeWhenFree(group: WaitingGroup): Promise<Array<undefined | Error>> {
    this.waiting = group;
    try {
      return await this.whenWriteLockFree((statements) => {
        // No row can join between here and the write: both happen in this one synchronous step.
        this.waiting = undefined;
        const written = this.writeNow(statements, group.rows);
        if (!written) this.waiting = group;
        return written;
      });
    } finally {
      if (this.waiting === group) this.waiting = undefined;
    }
  }

  /**
   * Runs `attempt` — one synchronous step that opens its transaction with
   * beginNow, writes and commits — and, while it answers undefined (the write
   * lock was not free), again on a later turn, up to the adapter's busy timeout.
   */
  private async whenWriteLockFree<T>(attempt: (statements: SqliteStatements) => T | undefined): Promise<T> {
    const statements = await this.prepared();
    const started = Date.now();
    for (let tries = 0; ; tries++) {
      const done = attempt(statements);
      if (done !== undefined) return done;
      if (Date.now() - started >= BUSY_TIMEOUT_MS) {
        throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      }
      // The lock is held for one commit (tens of µs): retry on the next turn, then back off.
      await new Promise((resolve) => (tries < 64 ? setImmediate(resolve) : setTimeout(resolve, 1)));
    }
  }

  /**
   * Opens a write transaction (BEGIN IMMEDIATE) now, without SQLite's busy
   * wait; false when it cannot: another connection holds the write lock, or
   * Prisma has a transaction open on this one (which must not be joined).
   */
  private beginNow(statements: SqliteStatements): boolean {
    const { connection } = statements;
    if (!connection.open) throw new Error("The SQLite connection is closed");
    if (connection.inTransaction) return false;
    statements.noBusyWait.get();
    try {
      statements.begin.run();
      return true;
    } catch (error) {
      if (isBusy(error)) return false;
      throw error;
    } finally {
      statements.busyWait.get();
    }
  }

  /**
   * Writes `rows` in one transaction, all within this call (no other code can
   * use the connection in between); undefined, nothing written, when the write
   * lock is not free now. Should the group fail, its rows are written one by
   * one so that a bad row fails alone.
   */
  private writeNow(
    statements: SqliteStatements,
    rows: readonly AccessToken[],
  ): Array<undefined | Error> | undefined {
    const { connection } = statements;
    if (!this.beginNow(statements)) return undefined;
    try {
      for (const row of rows) statements.insertAccessToken.run(...tokenValues(row));
      statements.commit.run();
      return rows.map(() => undefined);
    } catch {
      if (connection.inTransaction) statements.rollback.run();
      return rows.map((row) => {
        try {
          statements.insertAccessToken.run(...tokenValues(row));
          return undefined;
        } catch (error) {
          return asError(error);
        }
      });
    }
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
