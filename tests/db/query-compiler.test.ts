import assert from "node:assert/strict";
import { register } from "node:module";
import { after, before, describe, test } from "node:test";
import { MessageChannel } from "node:worker_threads";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

// The generated clients are patched (scripts/patch-prisma-client.mjs, run by db:generate) to read
// Prisma's query compiler from its file instead of importing the module that holds it as base64:
// an imported module is never unloaded, and its 4-5 MB would stay in every process. Every module
// this process loads from here on is reported by a load hook.
const loaded: string[] = [];
const { port1, port2 } = new MessageChannel();
port1.on("message", (url: string) => loaded.push(url));
port1.unref();
register(
  `data:text/javascript,${encodeURIComponent(`
    let port;
    export function initialize(data) { port = data.port; }
    export async function load(url, context, next) {
      if (url.includes("query_compiler")) port.postMessage(url);
      return next(url, context);
    }`)}`,
  { data: { port: port2 }, transferList: [port2] },
);

for (const backend of BACKENDS) {
  describe(`Prisma's query compiler (${backend})`, () => {
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    let db: Database;
    before(async () => {
      database = await freshDatabase(backend);
      await migrate(database.url);
      db = createDatabase(database.url);
    });
    after(async () => {
      await db.$disconnect();
      await database.drop();
    });

    test("is compiled from its file, never imported as a base64 module; queries run", async () => {
      assert.equal(await db.oAuth2Client.count(), 0);
      assert.equal((await db.user.findMany({ where: { email: "nobody@example.com" } })).length, 0);
      // The hook's messages arrive on this thread's event loop.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const provider = backend === "sqlite" ? "sqlite" : "postgresql";
      assert.ok(
        loaded.some((url) => url.endsWith(`query_compiler_fast_bg.${provider}.mjs`)),
        `the compiler's runtime was loaded: ${JSON.stringify(loaded)}`,
      );
      assert.deepEqual(
        loaded.filter((url) => url.includes("wasm-base64")),
        [],
        "the base64 module is not imported",
      );
    });
  });
}
