import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, introspect, type Portico, startPortico } from "@/tests/support/server.ts";

const CLIENT_FIELDS = [
  "id",
  "client_name",
  "redirect_uris",
  "grant_types",
  "response_types",
  "scope",
  "owner",
  "policy_uri",
  "tos_uri",
  "client_uri",
  "logo_uri",
  "contacts",
  "public",
].sort();

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

for (const backend of BACKENDS) {
  describe(`clients API (${backend})`, () => {
    let portico: Portico;
    let token: string;

    before(async () => {
      portico = await startPortico({ backend });
      token = await portico.rootToken();
    });
    after(() => portico.stop());

    test("create, fetch, list, update and delete a client", async () => {
      const created = await portico.call("/clients", {
        token,
        json: {
          id: "shop",
          client_name: "The Shop",
          redirect_uris: ["https://shop.example/callback"],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid offline",
          owner: "alice",
          contacts: ["ops@shop.example"],
          unknown_field: "ignored",
        },
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get("location"), "/clients/shop");
      assert.equal(created.headers.get("cache-control"), "no-store", "the secret is in this response");
      const body = await json(created);
      assert.equal(typeof body.client_secret, "string");
      assert.ok((body.client_secret as string).length >= 26);
      assert.match(body.client_secret as string, /^[A-Za-z0-9\-._~]+$/);
      assert.equal(body.unknown_field, undefined);
      const { client_secret: secret, ...rest } = body;
      assert.deepEqual(Object.keys(rest).sort(), CLIENT_FIELDS);

      const fetched = await json(await portico.call("/clients/shop", { token }));
      assert.equal(fetched.client_secret, undefined);
      assert.deepEqual(fetched, rest);

      const listed = (await (await portico.call("/clients", { token })).json()) as Array<
        Record<string, unknown>
      >;
      assert.ok(Array.isArray(listed));
      const shop = listed.find((c) => c.id === "shop");
      assert.deepEqual(shop, rest);
      assert.ok(listed.every((c) => c.client_secret === undefined));

      const updated = await portico.call("/clients/shop", {
        method: "PUT",
        token,
        json: { ...rest, client_name: "The New Shop" },
      });
      assert.equal(updated.status, 200);
      const updatedBody = await json(updated);
      assert.equal(updatedBody.client_name, "The New Shop");
      assert.equal(updatedBody.client_secret, undefined);

      // The secret was kept by the update without client_secret: it still authenticates.
      await portico.call("/clients/shop", {
        method: "PUT",
        token,
        json: { ...rest, grant_types: ["client_credentials"] },
      });
      const shopToken = await portico.tokenFor("shop", secret as string, "openid");
      const seen = await introspect(portico, shopToken);
      assert.deepEqual([seen.active, seen.client_id, seen.scope], [true, "shop", "openid"]);

      const deleted = await portico.call("/clients/shop", { method: "DELETE", token });
      assert.equal(deleted.status, 204);
      assert.equal((await portico.call("/clients/shop", { token })).status, 404);
      assert.equal((await portico.call("/clients/shop", { method: "DELETE", token })).status, 404);
    });

    test("a client without an id gets a UUID, a supplied secret is never echoed later", async () => {
      const created = await json(
        await portico.call("/clients", {
          token,
          json: { client_secret: "a-chosen-secret-value", grant_types: ["client_credentials"] },
        }),
      );
      assert.match(created.id as string, /^[0-9a-f-]{36}$/);
      assert.equal(created.client_secret, "a-chosen-secret-value");
      assert.deepEqual(created.response_types, ["code"]);
      const fetched = await json(await portico.call(`/clients/${created.id}`, { token }));
      assert.equal(fetched.client_secret, undefined);
      assert.ok(await portico.tokenFor(created.id as string, "a-chosen-secret-value"));
    });

    test("a public client has no secret and cannot use client_credentials", async () => {
      const created = await portico.call("/clients", {
        token,
        json: { id: "spa", public: true, redirect_uris: ["https://spa.example/cb"] },
      });
      assert.equal(created.status, 201);
      assert.equal((await json(created)).client_secret, undefined);
      const refused = await portico.call("/clients", {
        token,
        json: { id: "spa2", public: true, grant_types: ["client_credentials"] },
      });
      assert.equal(refused.status, 400);
    });

    const badBodies: Array<[string, string | undefined, number]> = [
      ["malformed JSON", "{", 400],
      ["a JSON array", "[]", 400],
      ["a wrong type", JSON.stringify({ redirect_uris: "https://x.example" }), 400],
      ["an unknown grant type", JSON.stringify({ grant_types: ["password"] }), 400],
      ["a relative redirect URI", JSON.stringify({ redirect_uris: ["/callback"] }), 400],
      [
        "a redirect URI with a fragment",
        JSON.stringify({ redirect_uris: ["https://x.example/cb#frag"] }),
        400,
      ],
      ["a short secret", JSON.stringify({ client_secret: "abc" }), 400],
      ["an id with a colon", JSON.stringify({ id: "a:b" }), 400],
      ["a logo that is not a URL", JSON.stringify({ logo_uri: "javascript:alert(1)" }), 400],
      ["a body over 1 MiB", JSON.stringify({ client_name: "x".repeat(1024 * 1024 + 1) }), 413],
    ];
    for (const [name, body, status] of badBodies) {
      test(`POST /clients refuses ${name} with ${status} and writes nothing`, async () => {
        const before = ((await (await portico.call("/clients", { token })).json()) as unknown[]).length;
        const response = await fetch(`${portico.url}/clients`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body,
        });
        assert.equal(response.status, status);
        const error = (await response.json()) as { error: { code: number; status: string; message: string } };
        assert.equal(error.error.code, status);
        assert.equal(typeof error.error.status, "string");
        assert.equal(typeof error.error.message, "string");
        const after = ((await (await portico.call("/clients", { token })).json()) as unknown[]).length;
        assert.equal(after, before);
      });
    }

    test("a duplicate id is 409 and an unknown id 404", async () => {
      assert.equal((await portico.call("/clients", { token, json: { id: "twice" } })).status, 201);
      const again = await portico.call("/clients", { token, json: { id: "twice" } });
      assert.equal(again.status, 409);
      assert.equal(((await again.json()) as { error: { code: number } }).error.code, 409);
      assert.equal((await portico.call("/clients/nobody", { token })).status, 404);
      assert.equal(
        (await portico.call("/clients/nobody", { method: "PUT", token, json: { client_name: "x" } })).status,
        404,
      );
    });

    test("GET and DELETE with a JSON content type and no body, and unknown query parameters, work", async () => {
      await portico.call("/clients", { token, json: { id: "sdk" } });
      const got = await fetch(`${portico.url}/clients/sdk?_=${Date.now()}`, {
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      });
      assert.equal(got.status, 200);
      const deleted = await fetch(`${portico.url}/clients/sdk`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      });
      assert.equal(deleted.status, 204);
    });

    test("no secret appears in any GET, list response or log", async () => {
      const created = await json(await portico.call("/clients", { token, json: { id: "leaky" } }));
      const secret = created.client_secret as string;
      const texts = [
        await (await portico.call("/clients", { token })).text(),
        await (await portico.call("/clients/leaky", { token })).text(),
      ];
      for (const text of texts) {
        assert.ok(!text.includes(secret));
        assert.ok(!text.includes("$2b$"), "no bcrypt hash leaks either");
      }
      assert.ok(!portico.output().includes(secret));
      assert.ok(!portico.output().includes(portico.root.secret));
      assert.ok(!portico.output().includes(token));
    });

    test("fields sent as null and an empty client_secret read as absent, as Hydra's Go structs read them", async () => {
      // What a Go caller of the 2017 API sends: zero values, nil slices as null.
      const goClient = {
        id: "go-nulls",
        client_name: "",
        client_secret: "",
        redirect_uris: null,
        grant_types: ["client_credentials"],
        response_types: null,
        scope: "hydra.clients",
        owner: null,
        policy_uri: null,
        tos_uri: "",
        client_uri: null,
        logo_uri: null,
        contacts: null,
        public: null,
      };
      const created = await portico.call("/clients", { token, json: goClient });
      assert.equal(created.status, 201, "POST without a secret generates one");
      const body = await json(created);
      const secret = body.client_secret as string;
      assert.ok(secret.length >= 26);
      const { client_secret: _, ...rest } = body;
      assert.deepEqual(rest, {
        id: "go-nulls",
        client_name: "",
        redirect_uris: [],
        grant_types: ["client_credentials"],
        response_types: ["code"],
        scope: "hydra.clients",
        owner: "",
        policy_uri: "",
        tos_uri: "",
        client_uri: "",
        logo_uri: "",
        contacts: [],
        public: false,
      });
      const updated = await portico.call("/clients/go-nulls", {
        method: "PUT",
        token,
        json: { ...goClient, client_name: "Go" },
      });
      assert.equal(updated.status, 200, "PUT with an empty secret keeps the stored one");
      assert.equal((await json(updated)).client_name, "Go");
      assert.ok(
        await portico.tokenFor("go-nulls", secret, "hydra.clients"),
        "the generated secret still works",
      );
    });

    test("GET /clients lists every client, however many (the 2017 operation has no paging)", async () => {
      const before = (await (await portico.call("/clients", { token })).json()) as { id: string }[];
      const ids = Array.from({ length: 501 }, (_, i) => `many-${String(i).padStart(3, "0")}`);
      for (const id of ids) {
        const created = await portico.call("/clients", { token, json: { id, public: true } });
        assert.equal(created.status, 201, await created.text());
      }
      const listed = await portico.call("/clients", { token });
      assert.equal(listed.status, 200);
      const all = ((await listed.json()) as { id: string }[]).map((client) => client.id);
      assert.equal(all.length, before.length + ids.length, "no client is left out of the list");
      for (const id of ids) assert.ok(all.includes(id), `${id} is listed`);
      for (const id of ids)
        assert.equal((await portico.call(`/clients/${id}`, { method: "DELETE", token })).status, 204);
    });
  });
}
