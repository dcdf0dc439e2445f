/**
 * PATCH /admin/clients/{id} is a read, a JSON Patch and a write. Patches
 * sent at once — through several processes of two instances on one database —
 * must each apply to the client as the others left it: none may undo
 * another's change, such as bring back a redirect URI another patch removed.
 * PostgreSQL: two instances of two processes on one database; SQLite: one
 * instance of two processes (an instance serves on several).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, freshDatabase, type Portico, startPortico } from "@/tests/support/server.ts";

const env = { WORKERS: "2", SYSTEM_SECRET: "client-patch-races-system-secret-0123456789" };

for (const backend of BACKENDS) {
  describe(`PATCH /admin/clients/{id} at once through several processes (${backend})`, {
    timeout: 240_000,
  }, () => {
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    let a: Portico;
    let b: Portico;
    before(async () => {
      database = await freshDatabase(backend);
      a = await startPortico({ backend, databaseUrl: database.url, env });
      b = backend === "postgresql" ? await startPortico({ backend, databaseUrl: database.url, env }) : a;
    });
    after(async () => {
      await Promise.all([a?.stop(), b !== a ? b?.stop() : undefined]);
      await database?.drop();
    });

    const adminCall = (instance: Portico, path: string, method: string, body?: unknown) =>
      fetch(`${instance.adminUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    async function createClient(id: string, redirectUris: string[]): Promise<void> {
      const created = await adminCall(a, "/admin/clients", "POST", {
        client_id: id,
        client_secret: "patch-races-secret-0123456789",
        redirect_uris: redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid",
      });
      assert.equal(created.status, 201, await created.text());
    }

    async function redirectUrisOf(id: string): Promise<string[]> {
      const response = await adminCall(b, `/admin/clients/${id}`, "GET");
      assert.equal(response.status, 200);
      return ((await response.json()) as { redirect_uris: string[] }).redirect_uris;
    }

    test("patches sent together through every process all apply", async () => {
      for (const round of [1, 2, 3]) {
        const id = `patched-together-${round}`;
        await createClient(id, ["https://app.example/cb"]);
        const added = Array.from({ length: 8 }, (_, n) => `https://app.example/cb${n}`);
        const answers = await Promise.all(
          added.map((uri, n) =>
            adminCall(n % 2 === 0 ? a : b, `/admin/clients/${id}`, "PATCH", [
              { op: "add", path: "/redirect_uris/-", value: uri },
            ]),
          ),
        );
        for (const answer of answers) assert.equal(answer.status, 200, await answer.text());
        assert.deepEqual(
          (await redirectUrisOf(id)).sort(),
          ["https://app.example/cb", ...added].sort(),
          "every patch's redirect URI is there",
        );
      }
    });

    test("a redirect URI one patch removed does not come back with patches made beside it", async () => {
      for (const round of [1, 2, 3]) {
        const id = `patched-removal-${round}`;
        const kept = "https://app.example/cb";
        const removed = "https://old.example/cb";
        await createClient(id, [kept, removed]);
        const renames = Array.from({ length: 6 }, (_, n) =>
          adminCall(n % 2 === 0 ? a : b, `/admin/clients/${id}`, "PATCH", [
            { op: "replace", path: "/client_name", value: `App ${n}` },
          ]),
        );
        const removal = adminCall(b, `/admin/clients/${id}`, "PATCH", [
          { op: "test", path: "/redirect_uris/1", value: removed },
          { op: "remove", path: "/redirect_uris/1" },
        ]);
        const answers = await Promise.all([removal, ...renames]);
        for (const answer of answers) assert.equal(answer.status, 200, await answer.text());
        assert.deepEqual(await redirectUrisOf(id), [kept]);
        // Neither instance lets a browser be sent to the removed URI.
        for (const instance of [a, b, a, b]) {
          const query = new URLSearchParams({
            response_type: "code",
            client_id: id,
            redirect_uri: removed,
            scope: "openid",
            state: "patch-races-state",
          });
          const auth = await fetch(`${instance.url}/oauth2/auth?${query}`, { redirect: "manual" });
          await auth.body?.cancel();
          assert.ok(
            !(auth.headers.get("location") ?? "").startsWith(removed),
            `${instance.url} sent the browser to the removed redirect URI`,
          );
          assert.equal(auth.status, 400);
        }
      }
    });
  });
}
