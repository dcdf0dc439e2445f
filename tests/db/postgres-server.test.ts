import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import pg from "pg";
import {
  createPostgresDatabase,
  dropPostgresDatabase,
  postgresDatabaseUrl,
  postgresSettings,
  withPostgresConnection,
} from "@/db/postgres-server.ts";
import { BACKENDS } from "@/tests/support/server.ts";

// Every PostgreSQL database the tests, the bench and `npm run db` make and
// throw away is dropped through dropPostgresDatabase, with the role the
// project's own connections use (not a superuser).
const serverUrl = process.env.TEST_POSTGRES_URL;

const urlOf = (name: string) => postgresDatabaseUrl(serverUrl as string, name);

for (const backend of BACKENDS.filter((name) => name === "postgresql")) {
  describe(`dropping a throwaway database (${backend})`, () => {
    test("sessions of our own role still on it — idle, mid-transaction, pooled — are ended, and it is gone", async () => {
      const name = `portico_drop_${randomBytes(6).toString("hex")}`;
      await withPostgresConnection(serverUrl as string, (client) => createPostgresDatabase(client, name));

      const idle = new pg.Client(postgresSettings(urlOf(name)));
      const inTransaction = new pg.Client(postgresSettings(urlOf(name)));
      const pool = new pg.Pool({ ...postgresSettings(urlOf(name)), max: 3 });
      // A terminated session is an "error" event on its client; left unheard, it would end this process.
      const ended: string[] = [];
      idle.on("error", () => ended.push("idle"));
      inTransaction.on("error", () => ended.push("in a transaction"));
      pool.on("error", () => ended.push("pooled"));
      await idle.connect();
      await inTransaction.connect();
      await inTransaction.query("BEGIN");
      await inTransaction.query("CREATE TABLE held (id int)");
      await Promise.all([pool.query("SELECT 1"), pool.query("SELECT 2"), pool.query("SELECT 3")]);

      await withPostgresConnection(serverUrl as string, (client) => dropPostgresDatabase(client, name));

      const left = await withPostgresConnection(serverUrl as string, (client) =>
        client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]),
      );
      assert.equal(left.rowCount, 0);
      await assert.rejects(idle.query("SELECT 1"));
      await assert.rejects(inTransaction.query("SELECT 1"));
      await pool.end().catch(() => undefined);
      await idle.end().catch(() => undefined);
      await inTransaction.end().catch(() => undefined);
      assert.deepEqual([...new Set(ended)].sort(), ["idle", "in a transaction", "pooled"]);
    });

    test("a database that is not there is no error", async () => {
      await withPostgresConnection(serverUrl as string, (client) =>
        dropPostgresDatabase(client, `portico_drop_${randomBytes(6).toString("hex")}`),
      );
    });
  });
}
