import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { rawQueries, sharedDatabase } from "@/db/client.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

// The server and the app in one process share one database per URL: one Prisma client, one SQLite
// connection or PostgreSQL pool. An app on another DATABASE_URL must get its own.
for (const backend of BACKENDS) {
  describe(`one database per URL in a process (${backend})`, () => {
    const databases: Array<Awaited<ReturnType<typeof freshDatabase>>> = [];
    const urlOf = (index: number) => (databases[index] as { url: string }).url;
    before(async () => {
      databases.push(await freshDatabase(backend), await freshDatabase(backend));
    });
    after(async () => {
      for (const { url } of databases) await sharedDatabase(url).$disconnect();
      for (const database of databases) await database.drop();
    });

    test("the same URL gives the same database, with its prepared-statement layer; it answers", async () => {
      const server = sharedDatabase(urlOf(0));
      const app = sharedDatabase(urlOf(0));
      assert.equal(app, server);
      assert.ok(rawQueries(app));
      assert.equal(Number(((await app.$queryRawUnsafe("SELECT 1 AS one")) as [{ one: unknown }])[0].one), 1);
    });

    test("another URL gives another database", async () => {
      const own = sharedDatabase(urlOf(1));
      assert.notEqual(own, sharedDatabase(urlOf(0)));
      assert.equal(Number(((await own.$queryRawUnsafe("SELECT 2 AS two")) as [{ two: unknown }])[0].two), 2);
    });
  });
}
