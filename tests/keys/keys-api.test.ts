import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair } from "jose";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

type Jwk = Record<string, unknown> & { kid: string; kty: string };
type JwkSet = { keys: Jwk[] };

const ID_TOKEN_SET = "hydra.openid.id-token";
/** The members RFC 7517 and the swagger's jsonWebKey define; nothing else may appear. */
const JWK_MEMBERS = new Set([
  ...["kty", "kid", "use", "key_ops", "alg", "crv", "x", "y", "n", "e", "k"],
  ...["d", "p", "q", "dp", "dq", "qi", "x5u", "x5c", "x5t", "x5t#S256"],
]);

function assertJwkSet(body: unknown): asserts body is JwkSet {
  assert.ok(body && typeof body === "object" && Array.isArray((body as JwkSet).keys), "a jsonWebKeySet");
  for (const key of (body as JwkSet).keys) {
    assert.equal(typeof key.kty, "string");
    assert.equal(typeof key.kid, "string");
    for (const member of Object.keys(key)) assert.ok(JWK_MEMBERS.has(member), `unexpected member ${member}`);
  }
}

async function ecPair(kid: string, crv: "P-256" | "P-384" = "P-256") {
  const alg = crv === "P-256" ? "ES256" : "ES384";
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid: `private:${kid}`, alg, use: "sig" } as Jwk,
    publicJwk: { ...(await exportJWK(publicKey)), kid: `public:${kid}`, alg, use: "sig" } as Jwk,
  };
}

for (const backend of BACKENDS) {
  describe(`keys API (${backend})`, () => {
    let portico: Portico;
    let root: string;

    const kids = (body: JwkSet) => body.keys.map((key) => key.kid).sort();

    async function json(response: Response, status: number): Promise<unknown> {
      const text = await response.text();
      assert.equal(response.status, status, text);
      return text ? JSON.parse(text) : undefined;
    }

    async function errorCode(response: Response): Promise<number> {
      const body = (await response.json()) as { error: { code: number; status: string; message: string } };
      assert.equal(typeof body.error.message, "string");
      return body.error.code;
    }

    /** A client_credentials client with `scope`, allowed `actions` on `resources` when given. */
    async function caller(
      id: string,
      scope: string,
      resources?: string[],
      actions = ["get"],
    ): Promise<string> {
      await json(
        await portico.call("/clients", {
          token: root,
          json: { id, client_secret: `${id}-secret`, grant_types: ["client_credentials"], scope },
        }),
        201,
      );
      if (resources) {
        await json(
          await portico.call("/policies", {
            token: root,
            json: { id: `${id}-policy`, subjects: [id], resources, actions, effect: "allow" },
          }),
          201,
        );
      }
      return portico.tokenFor(id, `${id}-secret`, scope);
    }

    before(async () => {
      portico = await startPortico({ backend });
      root = await portico.rootToken();
    });
    after(() => portico.stop());

    describe("generation", () => {
      const expected: Array<[string, string, string, string | undefined]> = [
        ["RS256", "RSA", "RS256", undefined],
        ["ES256", "EC", "ES256", "P-256"],
        ["ES512", "EC", "ES512", "P-521"],
        ["ES521", "EC", "ES512", "P-521"],
      ];
      for (const [alg, kty, jwaAlg, crv] of expected) {
        test(`POST ${alg}: 201, Location, a private and a public key`, async () => {
          const response = await portico.call("/keys/gen-set", { token: root, json: { alg, kid: alg } });
          assert.equal(response.headers.get("location"), "/keys/gen-set");
          assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
          const body = await json(response, 201);
          assertJwkSet(body);
          assert.deepEqual(kids(body), [`private:${alg}`, `public:${alg}`]);
          for (const key of body.keys) {
            assert.equal(key.kty, kty);
            assert.equal(key.alg, jwaAlg);
            assert.equal(key.use, "sig");
            assert.equal(key.crv, crv);
            assert.equal(key.d !== undefined, key.kid.startsWith("private"));
          }
        });
      }

      for (const [alg, bytes] of [
        ["HS256", 32],
        ["HS512", 64],
      ] as const) {
        test(`POST ${alg}: one ${bytes}-byte secret under the kid`, async () => {
          const body = await json(
            await portico.call("/keys/gen-set", { token: root, json: { alg, kid: alg } }),
            201,
          );
          assertJwkSet(body);
          assert.equal(body.keys.length, 1);
          const [secret] = body.keys as [Jwk];
          assert.deepEqual(
            { ...secret, k: undefined },
            { kty: "oct", kid: alg, alg, use: "sig", k: undefined },
          );
          assert.equal(Buffer.from(secret.k as string, "base64url").length, bytes);
        });
      }

      test("an empty kid gives kids private and public, or a random kid for a secret", async () => {
        const pair = await json(
          await portico.call("/keys/gen-empty", { token: root, json: { alg: "ES256", kid: "" } }),
          201,
        );
        assertJwkSet(pair);
        assert.deepEqual(kids(pair), ["private", "public"]);
        const secret = await json(
          await portico.call("/keys/gen-empty", { token: root, json: { alg: "HS256", kid: "" } }),
          201,
        );
        assertJwkSet(secret);
        assert.ok(secret.keys[0]?.kid);
      });

      test("409 for a kid the set holds; 400 for an unknown alg or a malformed body", async () => {
        const conflict = await portico.call("/keys/gen-set", {
          token: root,
          json: { alg: "RS256", kid: "ES256" },
        });
        assert.equal(conflict.status, 409);
        assert.equal(await errorCode(conflict), 409);
        for (const body of [
          { alg: "RS384", kid: "x" },
          { alg: "none", kid: "y" },
          { kid: "z" },
          { alg: 256 },
        ]) {
          const response = await portico.call("/keys/gen-bad", { token: root, json: body });
          assert.equal(response.status, 400, JSON.stringify(body));
          assert.equal(await errorCode(response), 400);
        }
        const notJson = await portico.call("/keys/gen-bad", {
          method: "POST",
          token: root,
          headers: { "content-type": "application/json" },
        });
        assert.equal(notJson.status, 400);
        assert.equal(
          (await portico.call("/keys/gen-bad", { token: root })).status,
          404,
          "nothing was created",
        );
      });

      test("a set name with ':' is refused, so key resources stay unambiguous", async () => {
        const response = await portico.call(`/keys/${encodeURIComponent("gen:set")}`, {
          token: root,
          json: { alg: "HS256", kid: "k" },
        });
        assert.equal(response.status, 400);
        assert.equal(await errorCode(response), 400);
      });
    });

    describe("reading, replacing and deleting", () => {
      test("GET a set and GET one key, which answers a set of that key", async () => {
        const created = await json(
          await portico.call("/keys/rw-set", { token: root, json: { alg: "ES256", kid: "a" } }),
          201,
        );
        assertJwkSet(created);
        const set = await json(await portico.call("/keys/rw-set", { token: root }), 200);
        assertJwkSet(set);
        assert.deepEqual(
          set.keys.sort((x, y) => x.kid.localeCompare(y.kid)),
          created.keys.sort((x, y) => x.kid.localeCompare(y.kid)),
        );
        const one = await json(await portico.call("/keys/rw-set/private:a", { token: root }), 200);
        assertJwkSet(one);
        assert.deepEqual(
          one.keys,
          created.keys.filter((key) => key.kid === "private:a"),
        );
        const encoded = await json(
          await portico.call(`/keys/rw-set/${encodeURIComponent("public:a")}`, { token: root }),
          200,
        );
        assertJwkSet(encoded);
        assert.equal(encoded.keys[0]?.kid, "public:a");
      });

      test("404 for an unknown set or kid", async () => {
        for (const path of ["/keys/no-such-set", "/keys/no-such-set/x", "/keys/rw-set/no-such-kid"]) {
          const response = await portico.call(path, { token: root });
          assert.equal(response.status, 404, path);
          assert.equal(await errorCode(response), 404);
        }
      });

      test("PUT /keys/{set} replaces the set with valid keys (200, the set)", async () => {
        const { privateJwk, publicJwk } = await ecPair("b");
        const body = await json(
          await portico.call("/keys/rw-set", {
            method: "PUT",
            token: root,
            json: { keys: [privateJwk, { ...publicJwk, unknown: "dropped" }] },
          }),
          200,
        );
        assertJwkSet(body);
        assert.deepEqual(body.keys, [privateJwk, publicJwk]);
        const stored = await json(await portico.call("/keys/rw-set", { token: root }), 200);
        assertJwkSet(stored);
        assert.deepEqual(kids(stored), ["private:b", "public:b"]);
      });

      test("PUT /keys/{set} refuses invalid keys with 400 and keeps the set", async () => {
        const { privateJwk, publicJwk } = await ecPair("c");
        const { kty: _, ...withoutKty } = publicJwk;
        const invalid: Array<[string, unknown]> = [
          ["no keys member", {}],
          ["an empty set", { keys: [] }],
          ["a key without kty", { keys: [withoutKty] }],
          ["a key without kid", { keys: [{ ...publicJwk, kid: undefined }] }],
          ["a member that is not base64url", { keys: [{ ...publicJwk, x: "***" }] }],
          ["the wrong curve", { keys: [{ ...publicJwk, crv: "P-521" }] }],
          ["a public key named private", { keys: [{ ...publicJwk, kid: "private:c" }] }],
          ["a private key named public", { keys: [{ ...privateJwk, kid: "public:c" }] }],
          ["two keys with one kid", { keys: [publicJwk, publicJwk] }],
          ["one valid and one invalid key", { keys: [privateJwk, { ...publicJwk, y: publicJwk.x }] }],
        ];
        for (const [name, body] of invalid) {
          const response = await portico.call("/keys/rw-set", { method: "PUT", token: root, json: body });
          assert.equal(response.status, 400, name);
          assert.equal(await errorCode(response), 400);
        }
        const stored = await json(await portico.call("/keys/rw-set", { token: root }), 200);
        assertJwkSet(stored);
        assert.deepEqual(kids(stored), ["private:b", "public:b"]);
      });

      test("PUT /keys/{set}/{kid} creates or replaces one key (200, the key)", async () => {
        const { publicJwk } = await ecPair("d");
        const { kid: _, ...withoutKid } = publicJwk;
        const created = await json(
          await portico.call("/keys/rw-set/public:d", { method: "PUT", token: root, json: withoutKid }),
          200,
        );
        assert.deepEqual(created, publicJwk, "the kid comes from the path");
        const replacement = (await ecPair("d", "P-384")).publicJwk;
        const replaced = await json(
          await portico.call("/keys/rw-set/public:d", { method: "PUT", token: root, json: replacement }),
          200,
        );
        assert.deepEqual(replaced, replacement);
        const stored = await json(await portico.call("/keys/rw-set/public:d", { token: root }), 200);
        assertJwkSet(stored);
        assert.deepEqual(stored.keys, [replacement]);
      });

      test("PUT /keys/{set}/{kid} refuses a kid that differs from the path and invalid keys (400)", async () => {
        const { privateJwk, publicJwk } = await ecPair("e");
        for (const [path, body] of [
          ["/keys/rw-set/public:e", { ...publicJwk, kid: "public:other" }],
          ["/keys/rw-set/public:e", { ...publicJwk, crv: "P-384" }],
          ["/keys/rw-set/public:e", { ...publicJwk, kty: undefined }],
          ["/keys/rw-set/public:e", { ...privateJwk, kid: undefined }],
          ["/keys/rw-set/private:e", { ...publicJwk, kid: undefined }],
          ["/keys/rw-set/s", { kty: "oct", alg: "HS256", k: "dG9vLXNob3J0" }],
        ] as const) {
          const response = await portico.call(path, { method: "PUT", token: root, json: body });
          assert.equal(response.status, 400, `${path} ${JSON.stringify(body).slice(0, 60)}`);
        }
        assert.equal((await portico.call("/keys/rw-set/public:e", { token: root })).status, 404);
      });

      test("DELETE a key, then the set: 204, then 404", async () => {
        const deleted = await portico.call("/keys/rw-set/public:d", { method: "DELETE", token: root });
        assert.equal(deleted.status, 204);
        assert.equal(await deleted.text(), "");
        assert.equal((await portico.call("/keys/rw-set/public:d", { token: root })).status, 404);
        assert.equal(
          (await portico.call("/keys/rw-set/public:d", { method: "DELETE", token: root })).status,
          404,
        );
        assert.equal((await portico.call("/keys/rw-set", { method: "DELETE", token: root })).status, 204);
        assert.equal((await portico.call("/keys/rw-set", { token: root })).status, 404);
        assert.equal((await portico.call("/keys/rw-set/private:b", { token: root })).status, 404);
        assert.equal((await portico.call("/keys/rw-set", { method: "DELETE", token: root })).status, 404);
      });

      test("GET and DELETE with a JSON content type and no body work, unknown query parameters are ignored", async () => {
        await json(
          await portico.call("/keys/sdk-set", { token: root, json: { alg: "HS256", kid: "s" } }),
          201,
        );
        const headers = { "content-type": "application/json" };
        assert.equal((await portico.call("/keys/sdk-set?_=1712", { token: root, headers })).status, 200);
        assert.equal(
          (await portico.call("/keys/sdk-set/s?_=1712", { method: "DELETE", token: root, headers })).status,
          204,
        );
      });
    });

    describe("access control", () => {
      before(async () => {
        await json(
          await portico.call("/keys/acl-set", { token: root, json: { alg: "ES256", kid: "" } }),
          201,
        );
      });

      const operations: Array<[string, string, unknown?]> = [
        ["GET", "/keys/acl-set"],
        ["GET", "/keys/acl-set/private"],
        ["POST", "/keys/acl-set", { alg: "HS256", kid: "new" }],
        ["PUT", "/keys/acl-set", { keys: [{ kty: "oct", kid: "s", k: "c2VjcmV0" }] }],
        ["PUT", "/keys/acl-set/s", { kty: "oct", k: "c2VjcmV0" }],
        ["DELETE", "/keys/acl-set/private"],
        ["DELETE", "/keys/acl-set"],
        ["GET", "/keys/no-such-set"],
        ["GET", "/keys/no-such-set/private"],
        ["DELETE", "/keys/no-such-set"],
      ];

      test("no token or an unknown token is 401 on every key operation, also for unknown sets", async () => {
        for (const token of [undefined, "not-a-token"]) {
          for (const [method, path, body] of operations) {
            const response = await portico.call(path, { method, token, json: body });
            assert.equal(response.status, 401, `${method} ${path} ${token ?? "(none)"}`);
            assert.equal(await errorCode(response), 401);
          }
        }
      });

      test("a token without the operation's scope is 403", async () => {
        const clientsOnly = await portico.rootToken("hydra.clients");
        for (const [method, path, body] of operations) {
          const response = await portico.call(path, { method, token: clientsOnly, json: body });
          assert.equal(response.status, 403, `${method} ${path}`);
          assert.equal(await errorCode(response), 403);
        }
        const getOnly = await portico.rootToken("hydra.keys.get");
        assert.equal((await portico.call("/keys/acl-set", { token: getOnly })).status, 200);
        assert.equal((await portico.call("/keys/acl-set", { method: "DELETE", token: getOnly })).status, 403);
        const createOnly = await portico.rootToken("hydra.keys.create");
        assert.equal(
          (await portico.call("/keys/acl-set", { token: createOnly, json: { alg: "HS256", kid: "x" } }))
            .status,
          201,
        );
        assert.equal((await portico.call("/keys/acl-set/x", { token: createOnly })).status, 403);
      });

      test("a token with the scopes but no policy is 403, and learns nothing of which sets exist", async () => {
        const token = await caller("keys-no-policy", "hydra.keys.*");
        for (const [method, path, body] of operations) {
          const response = await portico.call(path, { method, token, json: body });
          assert.equal(response.status, 403, `${method} ${path}`);
        }
      });

      test("GET /keys/{set} shows only the keys the caller may get, 403 when none", async () => {
        const token = await caller("keys-public-reader", "hydra.keys.get", [
          "rn:hydra:keys:acl-set:public<.*>",
        ]);
        const body = await json(await portico.call("/keys/acl-set", { token }), 200);
        assertJwkSet(body);
        assert.deepEqual(kids(body), ["public"]);
        assert.equal((await portico.call("/keys/acl-set/public", { token })).status, 200);
        assert.equal((await portico.call("/keys/acl-set/private", { token })).status, 403);
        assert.equal((await portico.call("/keys/gen-set", { token })).status, 403);
        assert.equal((await portico.call("/keys/no-such-set", { token })).status, 403);
      });

      test("the policy resources and actions are the ones Hydra's API documents", async () => {
        const creator = await caller(
          "keys-creator",
          "hydra.keys.create",
          ["rn:hydra:keys:acl-own:mine"],
          ["create"],
        );
        assert.equal(
          (await portico.call("/keys/acl-own", { token: creator, json: { alg: "HS256", kid: "mine" } }))
            .status,
          201,
        );
        assert.equal(
          (await portico.call("/keys/acl-own", { token: creator, json: { alg: "HS256", kid: "theirs" } }))
            .status,
          403,
        );

        const keyUpdater = await caller(
          "keys-key-updater",
          "hydra.keys.update",
          ["rn:hydra:keys:acl-own:mine"],
          ["update"],
        );
        const secret = { kty: "oct", k: "YW5vdGhlci1zZWNyZXQ" };
        assert.equal(
          (await portico.call("/keys/acl-own/mine", { method: "PUT", token: keyUpdater, json: secret }))
            .status,
          200,
        );
        assert.equal(
          (await portico.call("/keys/acl-own", { method: "PUT", token: keyUpdater, json: { keys: [] } }))
            .status,
          403,
        );

        const setUpdater = await caller(
          "keys-set-updater",
          "hydra.keys.update",
          ["rn:hydra:keys:acl-own"],
          ["update"],
        );
        assert.equal(
          (await portico.call("/keys/acl-own/mine", { method: "PUT", token: setUpdater, json: secret }))
            .status,
          403,
        );
        assert.equal(
          (
            await portico.call("/keys/acl-own", {
              method: "PUT",
              token: setUpdater,
              json: { keys: [{ ...secret, kid: "mine" }] },
            })
          ).status,
          200,
        );

        const keyDeleter = await caller(
          "keys-key-deleter",
          "hydra.keys.delete",
          ["rn:hydra:keys:acl-own:mine"],
          ["delete"],
        );
        assert.equal(
          (await portico.call("/keys/acl-own", { method: "DELETE", token: keyDeleter })).status,
          403,
        );
        assert.equal(
          (await portico.call("/keys/acl-own/mine", { method: "DELETE", token: keyDeleter })).status,
          204,
        );

        const setDeleter = await caller(
          "keys-set-deleter",
          "hydra.keys.delete",
          ["rn:hydra:keys:gen-empty"],
          ["delete"],
        );
        assert.equal(
          (await portico.call("/keys/gen-empty/private", { method: "DELETE", token: setDeleter })).status,
          403,
        );
        assert.equal(
          (await portico.call("/keys/gen-empty", { method: "DELETE", token: setDeleter })).status,
          204,
        );
      });
    });

    describe("the public ID-token key", () => {
      test("/.well-known/jwks.json and GET /keys/hydra.openid.id-token/public answer 200 without a token", async () => {
        const jwks = await json(await portico.call("/.well-known/jwks.json"), 200);
        assertJwkSet(jwks);
        assert.deepEqual(kids(jwks), ["public"]);
        const [key] = jwks.keys as [Jwk];
        assert.equal(key.kty, "RSA");
        assert.equal(key.alg, "RS256");
        assert.equal(key.use, "sig");
        assert.equal(key.d, undefined);
        const single = await json(await portico.call(`/keys/${ID_TOKEN_SET}/public`), 200);
        assert.deepEqual(single, jwks);
      });

      test("… and with a token that lacks hydra.keys.get, or one that is not valid", async () => {
        const clientsOnly = await portico.rootToken("hydra.clients");
        for (const token of [clientsOnly, "not-a-token"]) {
          for (const path of ["/.well-known/jwks.json", `/keys/${ID_TOKEN_SET}/public`]) {
            const response = await portico.call(path, { token });
            assert.equal(response.status, 200, `${path} ${token}`);
            assertJwkSet(await response.json());
          }
        }
      });

      test("without a token GET /keys/hydra.openid.id-token shows only the public key; the private one is guarded", async () => {
        const anonymous = await json(await portico.call(`/keys/${ID_TOKEN_SET}`), 200);
        assertJwkSet(anonymous);
        assert.deepEqual(kids(anonymous), ["public"]);
        assert.equal((await portico.call(`/keys/${ID_TOKEN_SET}/private`)).status, 401);
        const clientsOnly = await portico.rootToken("hydra.clients");
        assert.equal(
          (await portico.call(`/keys/${ID_TOKEN_SET}/private`, { token: clientsOnly })).status,
          403,
        );
        const full = await json(await portico.call(`/keys/${ID_TOKEN_SET}`, { token: root }), 200);
        assertJwkSet(full);
        assert.deepEqual(kids(full), ["private", "public"]);
        assert.ok(full.keys.find((key) => key.kid === "private")?.d);
      });

      test("a replaced public key is served by jwks.json at once", async () => {
        const { publicKey } = await generateKeyPair("RS256", { extractable: true });
        const replacement = { ...(await exportJWK(publicKey)), kid: "public:next", alg: "RS256", use: "sig" };
        await json(
          await portico.call(`/keys/${ID_TOKEN_SET}/public:next`, {
            method: "PUT",
            token: root,
            json: replacement,
          }),
          200,
        );
        const jwks = await json(await portico.call("/.well-known/jwks.json"), 200);
        assertJwkSet(jwks);
        assert.deepEqual(kids(jwks), ["public", "public:next"]);
        assert.equal(
          (await portico.call(`/keys/${ID_TOKEN_SET}/public:next`, { method: "DELETE", token: root })).status,
          204,
        );
        const after = await json(await portico.call("/.well-known/jwks.json"), 200);
        assertJwkSet(after);
        assert.deepEqual(kids(after), ["public"]);
      });

      test("without a token jwks.json follows the anonymous policy at once, and answers as with one", async () => {
        const withToken = await portico.call("/.well-known/jwks.json", { token: root });
        const anonymous = await portico.call("/.well-known/jwks.json");
        assert.equal(anonymous.status, 200);
        assert.equal(await anonymous.text(), await withToken.text());
        for (const header of ["content-type", "content-length", "cache-control"]) {
          assert.equal(anonymous.headers.get(header), withToken.headers.get(header), header);
        }
        const stats = async () => {
          const body = (await json(await portico.call("/health/stats", { token: root }), 200)) as {
            requests: { by_status: Record<string, number> };
          };
          return body.requests.by_status["2xx"] ?? 0;
        };
        const counted = await stats();
        await json(await portico.call("/.well-known/jwks.json"), 200);
        // The stats call itself is counted only once it has answered.
        assert.equal(await stats(), counted + 2, "the anonymous answer is counted in /health/stats");

        const policy = await json(await portico.call("/policies/portico-public-jwks", { token: root }), 200);
        await json(
          await portico.call("/policies/portico-public-jwks", { method: "DELETE", token: root }),
          204,
        );
        try {
          const refused = await portico.call("/.well-known/jwks.json");
          assert.equal(refused.status, 401);
          assert.equal(await errorCode(refused), 401);
          // A token that may read the keys still may.
          assertJwkSet(await json(await portico.call("/.well-known/jwks.json", { token: root }), 200));
        } finally {
          await json(await portico.call("/policies", { token: root, json: policy }), 201);
        }
        assertJwkSet(await json(await portico.call("/.well-known/jwks.json"), 200));
      });
    });
  });
}
