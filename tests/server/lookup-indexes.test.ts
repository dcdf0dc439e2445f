import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { postgresSettings } from "@/db/postgres-server.ts";
import { loadConfig } from "@/server/config/config.ts";
import { purgeExpired } from "@/server/housekeeping.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

/**
 * The statements that find rows by client or by subject inside a write
 * transaction, as the code writes them (ClientStore.delete and its
 * forgetClientRows, markClientGrantsRevoked; SubjectGrants.revoke and
 * revokeConsentRequest). Each must reach its rows through an index: a full
 * scan of tables that hold every token of months (used refresh tokens stay 30
 * days) kept SQLite's write lock, and with it every sign-in and token request,
 * for seconds on a database of a few million rows.
 */
const STATEMENTS: Array<{ what: string; sql: string; table: string[] }> = [
  ...["access_tokens", "refresh_tokens", "authorization_codes", "consent_requests"].map((table) => ({
    what: `deleting a client: its ${table}`,
    sql: `DELETE FROM "${table}" WHERE "clientId" = 'gone'`,
    table: [table],
  })),
  ...["remembered_grants", "remembered_consents", "authorization_grants"].map((table) => ({
    what: `deleting a client: its ${table}`,
    sql: `DELETE FROM "${table}" WHERE "clientId" = 'gone'`,
    table: [table],
  })),
  {
    what: "deleting a client: the marks of its grants",
    sql: `SELECT "grantId" FROM "authorization_grants" WHERE "clientId" = 'gone'
      UNION SELECT "grantId" FROM "refresh_tokens" WHERE "clientId" = 'gone' AND "revokedAt" IS NULL`,
    table: ["authorization_grants", "refresh_tokens"],
  },
  {
    what: "revoking a subject's consent: its accepted consent requests are used up",
    sql: `UPDATE "consent_requests" SET "usedAt" = "createdAt"
      WHERE "subject" = 'someone' AND "status" = 'accepted' AND "usedAt" IS NULL`,
    table: ["consent_requests"],
  },
  {
    what: "revoking a subject's consent to one client: its accepted consent requests are used up",
    sql: `UPDATE "consent_requests" SET "usedAt" = "createdAt"
      WHERE "subject" = 'someone' AND "status" = 'accepted' AND "usedAt" IS NULL AND "clientId" = 'app'`,
    table: ["consent_requests"],
  },
  {
    what: "revoking one consent request (Hydra 2.x): the consent it had remembered",
    sql: `DELETE FROM "remembered_consents" WHERE "consentRequestId" = 'request'`,
    table: ["remembered_consents"],
  },
];

for (const backend of BACKENDS) {
  describe(`lookups by client and by subject inside writes use indexes (${backend})`, () => {
    let db: Database;
    let url: string;
    let drop: () => Promise<void>;

    before(async () => {
      const database = await freshDatabase(backend);
      url = database.url;
      drop = database.drop;
      await migrate(database.url);
      db = createDatabase(database.url);
    });
    after(async () => {
      await db.$disconnect();
      await drop();
    });

    /** The plan's lines. PostgreSQL plans an empty table as a scan: asked to avoid one, it can only with an index. */
    async function plan(sql: string): Promise<string[]> {
      if (backend === "sqlite") {
        const rows = await db.$queryRawUnsafe<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`);
        return rows.map((row) => row.detail);
      }
      return db.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("SET LOCAL enable_seqscan = off");
        const rows = await tx.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN ${sql}`);
        return rows.map((row) => row["QUERY PLAN"]);
      });
    }

    /** The statements (and their values) `run` sends to the database, as the driver sees them. */
    async function sent(run: () => Promise<unknown>): Promise<Array<{ sql: string; values: unknown[] }>> {
      const seen: Array<{ sql: string; values: unknown[] }> = [];
      if (backend === "sqlite") {
        const prototype = BetterSqlite3.prototype as { prepare: (sql: string) => unknown };
        const prepare = prototype.prepare;
        prototype.prepare = function (this: unknown, sql: string) {
          seen.push({ sql, values: [] });
          return prepare.call(this, sql);
        };
        try {
          await run();
        } finally {
          prototype.prepare = prepare;
        }
        return seen;
      }
      const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
      const query = prototype.query;
      prototype.query = function (this: unknown, ...args: unknown[]) {
        const [config, values] = args as [string | { text: string; values?: unknown[] }, unknown[]?];
        if (typeof config === "string") seen.push({ sql: config, values: values ?? [] });
        else if (config?.text) seen.push({ sql: config.text, values: config.values ?? values ?? [] });
        return query.apply(this, args);
      };
      try {
        await run();
      } finally {
        prototype.query = query;
      }
      return seen;
    }

    test("every read of the purge goes through the index of its date, not the whole table", async () => {
      const config = loadConfig({ SYSTEM_SECRET: "test-system-secret-0123456789" });
      const statements = await sent(() => purgeExpired(db, config));
      // The reads of rows due by a date (the walk of old grants goes by key, a bounded part per run).
      const reads = statements.filter(
        ({ sql }) => /^SELECT/.test(sql) && /"?(expiresAt|revokedAt|usedAt|issuedAt)"?`? </.test(sql),
      );
      assert.ok(reads.length >= 10, `the purge's reads were seen (${reads.length})`);
      const client = backend === "postgresql" ? new pg.Client(postgresSettings(url)) : undefined;
      const sqlite = backend === "sqlite" ? new BetterSqlite3(url.slice("file:".length)) : undefined;
      await client?.connect();
      try {
        for (const { sql, values } of reads) {
          const table = /FROM [`"]?(?:(?:main|public)[`"]?\.[`"]?)?(\w+)/.exec(sql)?.[1] ?? "";
          let lines: string[];
          if (sqlite) {
            const count = (sql.match(/\?/g) ?? []).length;
            const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(count).fill(null));
            lines = (plan as { detail: string }[]).map((row) => row.detail);
          } else {
            await client?.query("SET enable_seqscan = off");
            const plan = await client?.query(`EXPLAIN ${sql}`, values);
            lines = (plan?.rows ?? []).map((row: Record<string, string>) => row["QUERY PLAN"] ?? "");
          }
          const dateIndex = lines.some((line) =>
            new RegExp(`${table}_(expiresAt|revokedAt|usedAt|issuedAt)_idx`).test(line),
          );
          assert.ok(
            dateIndex,
            `${table} is not read through the index of its date:\n${sql}\n${lines.join("\n")}`,
          );
        }
      } finally {
        await client?.end();
        sqlite?.close();
      }
    });

    for (const { what, sql, table } of STATEMENTS) {
      test(what, async () => {
        const lines = await plan(sql);
        for (const name of table) {
          const scan =
            backend === "sqlite"
              ? lines.find((line) => new RegExp(`^SCAN (main\\.)?${name}\\b`).test(line))
              : lines.find((line) => line.includes(`Seq Scan on ${name}`));
          assert.equal(scan, undefined, `${name} is scanned whole:\n${lines.join("\n")}`);
          assert.ok(
            lines.some((line) => line.includes(name) && /index/i.test(line)),
            `${name} is not reached through an index:\n${lines.join("\n")}`,
          );
        }
      });
    }
  });
}
