/**
 * Two instances started at the same moment on one new database: each runs
 * the migrations and the bootstrap, and they must not both make what the
 * bootstrap makes once — two random root clients (each an all-powerful
 * client whose secret another instance printed), or a failed start on the
 * other's demo client. On SQLite the two share one file.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { sqlitePath } from "@/db/client.ts";
import { withPostgresConnection } from "@/db/postgres-server.ts";
import { BACKENDS, type Backend, freshDatabase, startPortico } from "@/tests/support/server.ts";

const env = {
  ISSUER: "http://portico.test",
  SYSTEM_SECRET: "concurrent-start-system-secret-0123456789",
  PORTICO_DEMO: "1",
  WORKERS: "1",
};

type Row = Record<string, string>;

async function rows(backend: Backend, url: string, sql: string): Promise<Row[]> {
  if (backend === "postgresql") {
    return withPostgresConnection(url, async (client) => (await client.query(sql)).rows as Row[]);
  }
  const db = new BetterSqlite3(sqlitePath(url), { readonly: true });
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
}

for (const backend of BACKENDS) {
  describe(`two instances starting together on one new ${backend} database`, { timeout: 300_000 }, () => {
    // The starts race for real only now and then; a few rounds make a lost race likely to show.
    for (const round of [1, 2, 3]) {
      test(`both start, with one root client, one root policy and one demo client (round ${round})`, async () => {
        const database = await freshDatabase(backend);
        const starts = await Promise.allSettled(
          [1, 2].map(() =>
            startPortico({ databaseUrl: database.url, env, unset: ["FORCE_ROOT_CLIENT_CREDENTIALS"] }),
          ),
        );
        try {
          for (const start of starts) {
            assert.equal(start.status, "fulfilled", start.status === "rejected" ? String(start.reason) : "");
          }
          const printed = starts.flatMap((start) =>
            start.status === "fulfilled" ? (start.value.output().match(/client id: +\S+/g) ?? []) : [],
          );
          assert.equal(printed.length, 1, `one root secret printed, by one instance: ${printed.join(", ")}`);
          const clients = await rows(
            backend,
            database.url,
            `SELECT "id", "name" FROM "oauth2_clients" ORDER BY "id"`,
          );
          const policies = await rows(
            backend,
            database.url,
            `SELECT "id" FROM "policies" WHERE "id" LIKE 'portico-root-%'`,
          );
          const roots = clients.filter((client) => client.name === "Portico root client");
          assert.equal(roots.length, 1, JSON.stringify(clients));
          assert.deepEqual(policies, [{ id: `portico-root-${roots[0]?.id}` }]);
          assert.equal(clients.filter((client) => client.id === "portico-demo").length, 1);
        } finally {
          await Promise.all(
            starts.map((start) => (start.status === "fulfilled" ? start.value.stop() : null)),
          );
          await database.drop();
        }
      });
    }
  });
}
