import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, basicAuth, type Portico, startPortico } from "@/tests/support/server.ts";

/**
 * The same requests on SQLite and on PostgreSQL: what one backend answers,
 * the other answers too.
 */
for (const backend of BACKENDS) {
  describe(`the same answers on both backends (${backend})`, () => {
    let portico: Portico;
    let token: string;

    before(async () => {
      // The longest lifespan the configuration takes: its expiry must be one both databases store.
      portico = await startPortico({ backend, env: { ACCESS_TOKEN_LIFESPAN: "8760000h" } });
      token = await portico.rootToken();
    });
    after(() => portico.stop());

    test("GET /clients pages through clients made at once: every client once, in the same order", async () => {
      // Made concurrently, many share a creation millisecond: the order of those was the database's
      // choice, and PostgreSQL's sort under LIMIT/OFFSET put one on two pages and another on none.
      const ids = Array.from({ length: 120 }, (_, i) => `same-ms-${String(i).padStart(3, "0")}`);
      const created = await Promise.all(
        ids.map((id) =>
          portico
            .call("/clients", {
              token,
              json: {
                id,
                public: true,
                grant_types: ["implicit"],
                response_types: ["token"],
                redirect_uris: ["https://app.example/cb"],
              },
            })
            .then((response) => response.status),
        ),
      );
      assert.deepEqual(new Set(created), new Set([201]));

      const all = (await (await portico.call("/clients?limit=500", { token })).json()) as { id: string }[];
      const paged: string[] = [];
      for (let offset = 0; offset < all.length; offset += 7) {
        const page = (await (await portico.call(`/clients?offset=${offset}&limit=7`, { token })).json()) as {
          id: string;
        }[];
        paged.push(...page.map((client) => client.id));
      }
      assert.deepEqual(
        paged,
        all.map((client) => client.id),
        "the pages, one after another, are the whole list",
      );
      assert.equal(new Set(paged).size, all.length, "no client on two pages");
      for (const id of ids) assert.ok(paged.includes(id), `${id} is on a page`);
    });

    test("a token of the longest lifespan is issued and accepted", async () => {
      const response = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: basicAuth(portico.root.id, portico.root.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials&scope=hydra.clients",
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { access_token: string; expires_in: number };
      assert.equal(body.expires_in, 8_760_000 * 3600);
      assert.equal((await portico.call("/clients?limit=1", { token: body.access_token })).status, 200);
    });
  });
}

test("a lifespan no database can store is refused at start, on either backend", async () => {
  for (const backend of BACKENDS) {
    // 100000000h (11 400 years) was a 500 on every token request on PostgreSQL, and worked on SQLite.
    await assert.rejects(async () => {
      const started = await startPortico({ backend, env: { ACCESS_TOKEN_LIFESPAN: "100000000h" } });
      await started.stop();
    }, /ACCESS_TOKEN_LIFESPAN must be at most 8760000h/);
  }
});
