import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair } from "jose";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, failure, rawJson, sdk } from "@/tests/hydra2/support.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

for (const backend of BACKENDS) {
  describe(`Hydra 2.x /admin/keys (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    let rootToken: string;
    before(async () => {
      portico = await startPortico({ backend });
      api = sdk(portico);
      rootToken = await portico.rootToken("hydra.keys.*");
    });
    after(async () => {
      await portico?.stop();
    });

    test("create generates a key under the given kid and adds it to the set", async () => {
      for (const [alg, kty] of [
        ["RS256", "RSA"],
        ["ES256", "EC"],
        ["HS256", "oct"],
      ] as const) {
        const created = await api.jwk.createJsonWebKeySetRaw({
          set: "v2-set",
          createJsonWebKeySet: { alg, kid: `k-${alg}`, use: "sig" },
        });
        assert.equal(created.raw.status, 201);
        const body = (await rawJson(created)) as { keys: Array<Record<string, unknown>> };
        assertSchema("jsonWebKeySet", body);
        assert.equal(body.keys.length, 1);
        assert.equal(body.keys[0]?.kid, `k-${alg}`);
        assert.equal(body.keys[0]?.kty, kty);
        assert.equal(body.keys[0]?.use, "sig");
        assert.ok(kty === "oct" ? body.keys[0]?.k : body.keys[0]?.d, "the private part is answered");
      }
      const set = (await rawJson(await api.jwk.getJsonWebKeySetRaw({ set: "v2-set" }))) as {
        keys: Array<{ kid: string }>;
      };
      assertSchema("jsonWebKeySet", set);
      assert.deepEqual(set.keys.map((key) => key.kid).sort(), ["k-ES256", "k-HS256", "k-RS256"]);

      const empty = await api.jwk.createJsonWebKeySet({
        set: "v2-set",
        createJsonWebKeySet: { alg: "ES256", kid: "", use: "enc" },
      });
      assert.match(empty.keys?.[0]?.kid ?? "", /^[0-9a-f-]{36}$/, "an empty kid gets a UUID");
      assert.equal(empty.keys?.[0]?.use, "enc");
    });

    test("one store: keys made on one face are read on the other", async () => {
      await api.jwk.createJsonWebKeySet({
        set: "shared",
        createJsonWebKeySet: { alg: "ES256", kid: "v2", use: "sig" },
      });
      const old = await portico.call("/keys/shared/v2", { token: rootToken });
      assert.equal(old.status, 200);
      assert.equal(((await old.json()) as { keys: Array<{ kid: string }> }).keys[0]?.kid, "v2");

      const made = await portico.call("/keys/made-2017", {
        token: rootToken,
        json: { alg: "ES256", kid: "a" },
      });
      assert.equal(made.status, 201);
      const seen = (await rawJson(await api.jwk.getJsonWebKeySetRaw({ set: "made-2017" }))) as {
        keys: Array<{ kid: string }>;
      };
      assert.deepEqual(seen.keys.map((key) => key.kid).sort(), ["private:a", "public:a"]);
      const one = (await rawJson(await api.jwk.getJsonWebKeyRaw({ set: "made-2017", kid: "public:a" }))) as {
        keys: Array<Record<string, unknown>>;
      };
      assertSchema("jsonWebKeySet", one);
      assert.equal(one.keys.length, 1);
      assert.equal(one.keys[0]?.d, undefined);
    });

    test("set replaces the set; set one key stores it under the body's kid", async () => {
      const { publicKey } = await generateKeyPair("ES256", { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: "mine", alg: "ES256", use: "sig" };
      const replaced = await api.jwk.setJsonWebKeySetRaw({
        set: "replace-me",
        jsonWebKeySet: { keys: [jwk as never] },
      });
      assert.equal(replaced.raw.status, 200);
      assertSchema("jsonWebKeySet", await rawJson(replaced));
      const put = await api.jwk.setJsonWebKeyRaw({
        set: "replace-me",
        kid: "mine",
        jsonWebKey: jwk as never,
      });
      assert.equal(put.raw.status, 200);
      assertSchema("jsonWebKey", await rawJson(put));
      const listed = await api.jwk.getJsonWebKeySet({ set: "replace-me" });
      assert.deepEqual(
        listed.keys?.map((key) => key.kid),
        ["mine"],
      );
    });

    test("delete a key and a set: 204, then 404", async () => {
      await api.jwk.createJsonWebKeySet({
        set: "gone",
        createJsonWebKeySet: { alg: "HS256", kid: "a", use: "sig" },
      });
      await api.jwk.createJsonWebKeySet({
        set: "gone",
        createJsonWebKeySet: { alg: "HS256", kid: "b", use: "sig" },
      });
      assert.equal((await api.jwk.deleteJsonWebKeyRaw({ set: "gone", kid: "a" })).raw.status, 204);
      await assertError(await failure(api.jwk.getJsonWebKey({ set: "gone", kid: "a" })), 404, "Not Found");
      assert.equal((await api.jwk.deleteJsonWebKeySetRaw({ set: "gone" })).raw.status, 204);
      await assertError(await failure(api.jwk.getJsonWebKeySet({ set: "gone" })), 404, "Not Found");
      await assertError(await failure(api.jwk.deleteJsonWebKeySet({ set: "gone" })), 404, "Not Found");
      await assertError(await failure(api.jwk.deleteJsonWebKey({ set: "gone", kid: "b" })), 404, "Not Found");
    });

    test("bad input is a 4xx in Hydra's error format, never a 5xx", async () => {
      const cases: Array<[string, Parameters<typeof admin>[2], number]> = [
        ["/admin/keys/bad", { json: { alg: "RS1024", kid: "x", use: "sig" } }, 400],
        ["/admin/keys/bad", { json: { alg: "RS256", kid: "x", use: "wrap" } }, 400],
        ["/admin/keys/bad", { json: { alg: "RS256" } }, 400],
        ["/admin/keys/bad", { body: "{" }, 400],
        ["/admin/keys/a:b", { json: { alg: "RS256", kid: "x", use: "sig" } }, 400],
        ["/admin/keys/v2-set", { json: { alg: "ES256", kid: "k-ES256", use: "sig" } }, 409],
        ["/admin/keys/bad", { method: "PUT", json: { keys: [] } }, 400],
        [
          "/admin/keys/bad",
          { method: "PUT", json: { keys: [{ kty: "RSA", kid: "r", n: "AQAB", e: "AQAB" }] } },
          400,
        ],
        ["/admin/keys/bad", { method: "PUT", json: { keys: "none" } }, 400],
        ["/admin/keys/bad/k", { method: "PUT", json: { kty: "oct", kid: "k" } }, 400],
        ["/admin/keys/bad/k", { method: "PUT", json: { kty: "XYZ" } }, 400],
        ["/admin/keys/nothing", {}, 404],
        ["/admin/keys/nothing/k", {}, 404],
      ];
      for (const [path, init, status] of cases) {
        const response = await admin(portico, path, init);
        assert.ok(response.status < 500, `${path} ${JSON.stringify(init)} → ${response.status}`);
        await assertError(response, status);
      }
      await assertError(await failure(api.jwk.getJsonWebKeySet({ set: "bad" })), 404);
    });
  });
}
