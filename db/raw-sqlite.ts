import type BetterSqlite3 from "better-sqlite3";
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

/** The SQLite half of the prepared-statement layer (see db/raw.ts). */

/** better-sqlite3 binds anonymous `?` parameters; each statement uses $1…$n in order. */
function forSqlite(sql: string): string {
  return sql.replace(/\$\d+/g, "?");
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

  private readonly byKey = new Map<string, BetterSqlite3.Statement>();

  async rowByKey<Row>(shape: RowShape<Row>, key: string): Promise<Row | null> {
    const { connection } = await this.prepared();
    let statement = this.byKey.get(shape.name);
    if (!statement || statement.database !== connection) {
      statement = connection.prepare(forSqlite(rowByKeySql(shape))).safeIntegers(false);
      this.byKey.set(shape.name, statement);
    }
    const row = statement.get(key) as Record<string, Value> | undefined;
    return row ? shapedRow(shape, row) : null;
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
