/**
 * The ID-token key set after an operator deletes or rotates it, over HTTP on
 * both faces, as a Hydra user expects: a missing signing key is generated on
 * demand (once, whatever the number of processes), a key added to the set
 * signs from then on, the JWK set publishes whatever signs, and a token
 * request that cannot sign never uses up its code or refresh token.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
} from "jose";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  credentialsOf,
  postForm,
  randomValue,
  registerClient,
  responseParams,
  startOAuth2Portico,
  type TestClient,
  verifyIdToken,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, freshDatabase, type Portico } from "@/tests/support/server.ts";

const SET = "hydra.openid.id-token";
const GENERATED = "the ID-token key set held no key that can sign: generated one";

type Jwks = { keys: Array<{ kid: string; n?: string; d?: string }> };

function adminCall(portico: Portico, path: string, init: { method?: string; json?: unknown } = {}) {
  return fetch(`${portico.adminUrl}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: init.json === undefined ? {} : { "content-type": "application/json" },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
}

async function jwks(portico: Portico): Promise<Jwks> {
  const response = await portico.call("/.well-known/jwks.json");
  assert.equal(response.status, 200);
  return (await response.json()) as Jwks;
}

const kids = (set: Jwks) => set.keys.map((key) => key.kid);
const generatedLines = (...servers: Portico[]) =>
  servers.reduce((count, server) => count + server.output().split(GENERATED).length - 1, 0);

/** Verifies an ID token against the JWK set the server publishes now; answers the kid it carries. */
async function verifiedKid(portico: Portico, idToken: string, clientId: string): Promise<string> {
  const published = await jwks(portico);
  await jwtVerify(idToken, createLocalJWKSet(published as JSONWebKeySet), {
    issuer: portico.url,
    audience: clientId,
    algorithms: ["RS256"],
  });
  const { kid } = decodeProtectedHeader(idToken);
  assert.ok(kid && kids(published).includes(kid), `the kid ${kid} is published`);
  return kid;
}

/** A code for `client` (scope openid offline), through the browser and the consent API. */
async function codeFor(portico: Portico, client: TestClient, nonce = randomValue()): Promise<string> {
  const consentApp = await ConsentApp.for(portico);
  const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
    client_id: client.id,
    redirect_uri: client.redirectUri,
    response_type: "code",
    scope: "openid offline",
    state: randomValue(),
    nonce,
  });
  const code = responseParams(response, "query").get("code");
  assert.ok(code, "the authorization response carries a code");
  return code;
}

const exchange = (portico: Portico, client: TestClient, code: string) =>
  postForm(
    portico,
    "/oauth2/token",
    { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
    credentialsOf(client),
  );

/** The kid of the ID token a new code's exchange gets, read without fetching the JWK set. */
async function signedKid(portico: Portico, client: TestClient): Promise<string | undefined> {
  const tokens = await exchange(portico, client, await codeFor(portico, client));
  assert.equal(tokens.status, 200, tokens.text);
  return decodeProtectedHeader(tokens.json.id_token as string).kid;
}

const refresh = (portico: Portico, client: TestClient, refreshToken: string) =>
  postForm(
    portico,
    "/oauth2/token",
    { grant_type: "refresh_token", refresh_token: refreshToken },
    credentialsOf(client),
  );

const rpFields = {
  grant_types: ["authorization_code", "implicit", "refresh_token"],
  response_types: ["code", "id_token"],
  scope: "openid offline",
};

for (const backend of BACKENDS) {
  describe(`deleting and rotating the ID-token key set (${backend})`, () => {
    let portico: Portico;
    let rp: TestClient;
    let root: string;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      rp = await registerClient(portico, rpFields);
      root = await portico.rootToken("hydra.keys.*");
    });
    after(() => portico?.stop());

    test("DELETE /admin/keys/hydra.openid.id-token: the next code exchange signs with a generated key, published at once", async () => {
      const before = await jwks(portico);
      assert.deepEqual(kids(before), ["public"]);
      const nonce = randomValue();
      const code = await codeFor(portico, rp, nonce);
      const logged = generatedLines(portico);

      assert.equal((await adminCall(portico, `/admin/keys/${SET}`, { method: "DELETE" })).status, 204);
      const tokens = await exchange(portico, rp, code);
      assert.equal(tokens.status, 200, tokens.text);
      await verifyIdToken(portico, tokens.json.id_token as string, {
        clientId: rp.id,
        subject: "user-1",
        nonce,
        accessToken: tokens.json.access_token as string,
      });

      const now = await jwks(portico);
      assert.deepEqual(kids(now), ["public"]);
      assert.notEqual(now.keys[0]?.n, before.keys[0]?.n, "a new key is published");
      const stored = (await (await adminCall(portico, `/admin/keys/${SET}`)).json()) as Jwks;
      assert.deepEqual(kids(stored).sort(), ["private", "public"]);
      assert.equal(generatedLines(portico) - logged, 1, "the generation is logged once");
    });

    test("DELETE /keys/hydra.openid.id-token (2017 API): jwks.json publishes a generated key, and response_type=id_token works", async () => {
      const before = await jwks(portico);
      const deleted = await portico.call(`/keys/${SET}`, { method: "DELETE", token: root });
      assert.equal(deleted.status, 204);

      const now = await jwks(portico);
      assert.deepEqual(kids(now), ["public"]);
      assert.notEqual(now.keys[0]?.n, before.keys[0]?.n);

      const nonce = randomValue();
      const { response } = await authorizeThrough(portico, await ConsentApp.for(portico), new Browser(), {
        client_id: rp.id,
        redirect_uri: rp.redirectUri,
        response_type: "id_token",
        scope: "openid",
        state: randomValue(),
        nonce,
      });
      const back = responseParams(response, "fragment");
      assert.equal(back.get("error"), null, back.get("error_description") ?? "");
      await verifyIdToken(portico, back.get("id_token") as string, {
        clientId: rp.id,
        subject: "user-1",
        nonce,
      });
    });

    test("POST /admin/keys/hydra.openid.id-token rotates: the new key signs code and refresh grants, both keys are published", async () => {
      const first = await exchange(portico, rp, await codeFor(portico, rp));
      assert.equal(first.status, 200, first.text);
      const oldIdToken = first.json.id_token as string;
      assert.equal(decodeProtectedHeader(oldIdToken).kid, "public");

      const created = await adminCall(portico, `/admin/keys/${SET}`, {
        json: { alg: "RS256", kid: "rotated-1", use: "sig" },
      });
      assert.equal(created.status, 201);
      const rotated = ((await created.json()) as Jwks).keys[0];

      const published = await jwks(portico);
      assert.deepEqual(kids(published), ["rotated-1", "public"], "the signing key first");
      assert.equal(published.keys[0]?.n, rotated?.n, "the public half of the key that was created");
      assert.ok(published.keys.every((key) => key.d === undefined));

      const second = await exchange(portico, rp, await codeFor(portico, rp));
      assert.equal(second.status, 200, second.text);
      assert.equal(await verifiedKid(portico, second.json.id_token as string, rp.id), "rotated-1");

      const refreshed = await refresh(portico, rp, first.json.refresh_token as string);
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal(await verifiedKid(portico, refreshed.json.id_token as string, rp.id), "rotated-1");

      assert.equal(
        await verifiedKid(portico, oldIdToken, rp.id),
        "public",
        "a token from before still verifies",
      );
    });

    test("the 2017 API's POST /keys/hydra.openid.id-token rotates too, under its public:<kid>", async () => {
      const made = await portico.call(`/keys/${SET}`, { token: root, json: { alg: "RS256", kid: "2027" } });
      assert.equal(made.status, 201);
      const tokens = await exchange(portico, rp, await codeFor(portico, rp));
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(await verifiedKid(portico, tokens.json.id_token as string, rp.id), "public:2027");
      assert.deepEqual(kids(await jwks(portico)), ["public:2027", "public", "rotated-1"]);
    });

    test("a key that cannot sign ID tokens (ES256) put at kid private is never used: tokens stay RS256 and verify", async () => {
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const ec = { ...(await exportJWK(privateKey)), kid: "private", alg: "ES256", use: "sig" };
      const put = await portico.call(`/keys/${SET}/private`, { method: "PUT", token: root, json: ec });
      assert.equal(put.status, 200, await put.clone().text());
      const nonce = randomValue();
      const tokens = await exchange(portico, rp, await codeFor(portico, rp, nonce));
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(decodeProtectedHeader(tokens.json.id_token as string).alg, "RS256");
      await verifiedKid(portico, tokens.json.id_token as string, rp.id);
    });
  });

  describe(`a token request that cannot sign uses nothing up (${backend})`, () => {
    const servers: Portico[] = [];
    let database: Awaited<ReturnType<typeof freshDatabase>>;
    after(async () => {
      for (const server of servers) await server.stop();
      await database?.drop();
    });

    test("signing keys encrypted under another SYSTEM_SECRET: 500, the code and the refresh token still work once the set is repaired", async () => {
      database = await freshDatabase(backend);
      const start = async (env: Record<string, string> = {}) => {
        const server = await startOAuth2Portico({ backend, databaseUrl: database.url, env });
        servers.push(server);
        return server;
      };

      // A code and a refresh token (openid) issued while the keys are readable.
      let portico = await start();
      const rp = await registerClient(portico, rpFields);
      const first = await exchange(portico, rp, await codeFor(portico, rp));
      assert.equal(first.status, 200, first.text);
      const refreshToken = first.json.refresh_token as string;
      const code = await codeFor(portico, rp);
      await portico.stop();

      // Another SYSTEM_SECRET replaces the keys: this server can no longer decrypt them.
      const other = await start({ SYSTEM_SECRET: "another-system-secret-0123456789" });
      assert.equal((await adminCall(other, `/admin/keys/${SET}`, { method: "DELETE" })).status, 204);
      assert.deepEqual(kids(await jwks(other)), ["public"]);
      await other.stop();

      portico = await start();
      assert.match(portico.output(), /cannot be decrypted: was SYSTEM_SECRET changed/);
      for (let attempt = 0; attempt < 2; attempt++) {
        const refused = await exchange(portico, rp, code);
        assert.equal(refused.status, 500, refused.text);
        assert.equal(refused.json.error, "server_error");
        const notRotated = await refresh(portico, rp, refreshToken);
        assert.equal(notRotated.status, 500, notRotated.text);
        assert.equal(notRotated.json.error, "server_error");
      }

      assert.equal((await adminCall(portico, `/admin/keys/${SET}`, { method: "DELETE" })).status, 204);
      const tokens = await exchange(portico, rp, code);
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(await verifiedKid(portico, tokens.json.id_token as string, rp.id), "public");
      const refreshed = await refresh(portico, rp, refreshToken);
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal(await verifiedKid(portico, refreshed.json.id_token as string, rp.id), "public");
    });
  });

  describe(`processes that find the set deleted at once generate one key (${backend})`, () => {
    // Two instances of two workers each on one PostgreSQL database; two workers of one instance on SQLite.
    const instances = backend === "postgresql" ? 2 : 1;
    const servers: Portico[] = [];
    let database: Awaited<ReturnType<typeof freshDatabase>>;

    before(async () => {
      database = await freshDatabase(backend);
      for (let i = 0; i < instances; i++) {
        servers.push(await startOAuth2Portico({ backend, databaseUrl: database.url, env: { WORKERS: "2" } }));
      }
    });
    after(async () => {
      for (const server of servers) await server.stop();
      await database?.drop();
    });
    /** Each start sets the root client's secret: only the last one's root token is accepted. */
    const lastStarted = () => servers[servers.length - 1] as Portico;

    test("every process publishes and signs with the one generated pair", async () => {
      const [first] = servers as [Portico];
      const rp = await registerClient(lastStarted(), rpFields);
      const codes = await Promise.all(
        servers.flatMap((server) => [codeFor(server, rp), codeFor(server, rp)]),
      );
      const logged = generatedLines(...servers);

      assert.equal((await adminCall(first, `/admin/keys/${SET}`, { method: "DELETE" })).status, 204);
      const [published, tokens] = await Promise.all([
        Promise.all(servers.flatMap((server) => Array.from({ length: 6 }, () => jwks(server)))),
        Promise.all(codes.map((code, i) => exchange(servers[i % servers.length] as Portico, rp, code))),
      ]);

      const stored = (await (await adminCall(first, `/admin/keys/${SET}`)).json()) as Jwks;
      assert.deepEqual(kids(stored).sort(), ["private", "public"], "one pair");
      assert.equal(generatedLines(...servers) - logged, 1, "generated once");
      const fresh = stored.keys.find((key) => key.kid === "public");
      // No process had read the set before the deletion: none may serve the deleted key.
      for (const set of published) assert.deepEqual(set, { keys: [fresh] });
      for (const [i, response] of tokens.entries()) {
        assert.equal(response.status, 200, response.text);
        const server = servers[i % servers.length] as Portico;
        assert.equal(await verifiedKid(server, response.json.id_token as string, rp.id), "public");
      }
    });

    test("a rotation through one process is published by every process within 5 s, and what they sign verifies", async () => {
      const [first] = servers as [Portico];
      const rp = await registerClient(lastStarted(), rpFields);
      const created = await adminCall(first, `/admin/keys/${SET}`, {
        json: { alg: "RS256", kid: "rotated-2", use: "sig" },
      });
      assert.equal(created.status, 201);
      // No check right after the write: with two workers the JWK set may come from the process that
      // did not make it, which publishes the key within 5 s (checked below), not at once.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      for (const server of servers) {
        for (let i = 0; i < 4; i++) assert.deepEqual(kids(await jwks(server)), ["rotated-2", "public"]);
        const tokens = await exchange(server, rp, await codeFor(server, rp));
        assert.equal(tokens.status, 200, tokens.text);
        await verifiedKid(server, tokens.json.id_token as string, rp.id);
      }
    });

    test("a key deleted through one process is no longer used to sign by any process after 5 s", async () => {
      const [first] = servers as [Portico];
      const rp = await registerClient(lastStarted(), rpFields);
      const created = await adminCall(first, `/admin/keys/${SET}`, {
        json: { alg: "RS256", kid: "doomed", use: "sig" },
      });
      assert.equal(created.status, 201);
      // Every process signs with it (each one's signer now holds it), without serving the JWK set,
      // which would read the set again.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const signedBefore = await Promise.all(
        servers.flatMap((server) => Array.from({ length: 4 }, () => signedKid(server, rp))),
      );
      assert.deepEqual(new Set(signedBefore), new Set(["doomed"]));

      assert.equal((await adminCall(first, `/admin/keys/${SET}/doomed`, { method: "DELETE" })).status, 204);
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const signedAfter = await Promise.all(
        servers.flatMap((server) => Array.from({ length: 4 }, () => signedKid(server, rp))),
      );
      assert.ok(!signedAfter.includes("doomed"), `signed after the deletion with: ${signedAfter.join(", ")}`);
      for (const server of servers) assert.ok(!kids(await jwks(server)).includes("doomed"));
    });
  });
}
