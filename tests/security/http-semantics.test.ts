/**
 * HTTP semantics (RFC 9110, 9112) across the public port, the Hydra 2.x admin
 * listener and the pages: what a method a path does not take is answered
 * with, that no cache keeps an answer carrying a secret or a token, that a
 * compressed body is refused as such, and that every 4xx carries a Date.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { consentIdOf, registerClient, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { assertMethodsRefused, type RawAnswer, rawExchange, send } from "@/tests/support/raw-http.ts";
import { BACKENDS, basicAuth, type Portico } from "@/tests/support/server.ts";

/** The header block of the first answer in a raw exchange, by lower-case name. */
function rawHeaders(answer: string): Map<string, string> {
  const head = answer.slice(0, answer.indexOf("\r\n\r\n"));
  const fields = new Map<string, string>();
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return fields;
}

function assertNoStore(answer: { headers: Headers } | RawAnswer, what: string): void {
  const get = (name: string) =>
    answer.headers instanceof Headers ? answer.headers.get(name) : answer.headers[name];
  assert.equal(get("cache-control"), "no-store", `${what}: Cache-Control`);
  assert.equal(get("pragma"), "no-cache", `${what}: Pragma (RFC 6749 §5.1, for HTTP/1.0 caches)`);
}

for (const backend of BACKENDS) {
  describe(`HTTP semantics on every face (${backend})`, () => {
    let portico: Portico;
    let root: string;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      root = await portico.rootToken();
    });
    after(() => portico.stop());

    test("the Hydra 2.x admin API answers a method a path does not take with a 405 naming the ones it does (Allow)", async () => {
      await assertMethodsRefused(
        portico.adminUrl,
        [
          ["PUT", "/admin/clients", "GET, HEAD, POST"],
          ["POST", "/admin/clients/some-client", "DELETE, GET, HEAD, PATCH, PUT"],
          ["GET", "/admin/oauth2/introspect", "POST"],
          ["DELETE", "/health/alive", "GET, HEAD"],
          ["PATCH", "/admin/keys/some-set", "DELETE, GET, HEAD, POST, PUT"],
          ["POST", "/admin/oauth2/auth/requests/login", "GET, HEAD"],
          ["OPTIONS", "/admin/oauth2/auth/requests/consent/accept", "PUT"],
        ],
        (answer, method, path, allow) =>
          assert.deepEqual(JSON.parse(answer.body), {
            error: "Method Not Allowed",
            error_description: `${path} does not answer ${method}; it answers ${allow}`,
            status_code: 405,
          }),
      );
      // A path the document does not have stays a 404, and the operations answer as before.
      for (const [method, path] of [
        ["GET", "/admin/no-such-operation"],
        ["GET", "/admin/clients/"],
        ["PUT", "/admin/clients/a/b"],
      ] as const) {
        assert.equal((await send(portico.adminUrl, path, { method })).status, 404, `${method} ${path}`);
      }
      assert.equal((await send(portico.adminUrl, "/admin/clients")).status, 200);
      // `OPTIONS *` asks about the server itself, as on the public port (it was an empty 400).
      const star = await send(portico.adminUrl, "*", { method: "OPTIONS" });
      assert.deepEqual([star.status, star.body], [200, ""]);
      const starGet = await send(portico.adminUrl, "*");
      assert.equal(starGet.status, 400);
      assert.match(starGet.body, /must be a path/);
      assert.equal((await send(portico.adminUrl, "/health/alive", { method: "HEAD" })).status, 200);
    });

    test("every answer carrying a client secret, a token, a verifier or private keys says no cache, HTTP/1.0's included, may keep it", async () => {
      // The 2017 API: a client with its secret, a key set with its private keys, a consent request.
      const created = await portico.call("/clients", {
        token: root,
        json: { client_name: "cached", redirect_uris: ["https://rp.example/cb"], scope: "openid" },
      });
      assert.equal(created.status, 201);
      const client = (await created.json()) as { id: string; client_secret: string };
      assert.ok(client.client_secret);
      assertNoStore(created, "POST /clients");
      const secret = await portico.call(`/clients/${client.id}`, {
        method: "PUT",
        token: root,
        json: { client_name: "cached", client_secret: "a-new-secret-that-is-long-enough-1234" },
      });
      assert.equal(secret.status, 200);
      assertNoStore(secret, "PUT /clients/{id}");
      const keys = await portico.call("/keys/cached-set", { token: root, json: { alg: "RS256" } });
      assert.equal(keys.status, 201);
      assertNoStore(keys, "POST /keys/{set}");
      const flowClient = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
      });
      const query = new URLSearchParams({
        response_type: "code",
        client_id: flowClient.id,
        redirect_uri: flowClient.redirectUri,
        scope: "openid",
        state: "state-value-1234",
      });
      const id = consentIdOf(await fetch(`${portico.url}/oauth2/auth?${query}`, { redirect: "manual" }));
      const consent = await portico.call(`/oauth2/consent/requests/${id}`, { token: root });
      assert.equal(consent.status, 200);
      assertNoStore(consent, "GET /oauth2/consent/requests/{id}");
      // The public OAuth 2.0 endpoints did so already, and still do.
      const token = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: basicAuth(portico.root.id, portico.root.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials",
      });
      assert.equal(token.status, 200);
      assertNoStore(token, "POST /oauth2/token");
      // The 2.x admin API: a client with its secret, introspection, a key set.
      const adminClient = await send(portico.adminUrl, "/admin/clients", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_name: "cached" }),
      });
      assert.equal(adminClient.status, 201);
      assert.ok((JSON.parse(adminClient.body) as { client_secret?: string }).client_secret);
      assertNoStore(adminClient, "POST /admin/clients");
      const introspection = await send(portico.adminUrl, "/admin/oauth2/introspect", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `token=${encodeURIComponent(root)}`,
      });
      assert.equal(introspection.status, 200);
      assert.equal((JSON.parse(introspection.body) as { active: boolean }).active, true);
      assertNoStore(introspection, "POST /admin/oauth2/introspect");
      const adminKeys = await send(portico.adminUrl, "/admin/keys/cached-admin-set", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ alg: "RS256", use: "sig", kid: "k1" }),
      });
      assert.equal(adminKeys.status, 201, adminKeys.body);
      assertNoStore(adminKeys, "POST /admin/keys/{set}");
      // What is public stays cacheable.
      const discovery = await fetch(`${portico.url}/.well-known/openid-configuration`);
      assert.match(String(discovery.headers.get("cache-control")), /^public/);
      assert.equal(discovery.headers.get("pragma"), null);
    });

    test("a body sent with a content coding is a 415 in each API's error format, and the connection goes on", async () => {
      const form = gzipSync("grant_type=client_credentials");
      const json = gzipSync(JSON.stringify({ client_name: "zipped" }));
      const description =
        "The request body must not be sent with a content coding (Content-Encoding: gzip); send it as it is";
      const token = await send(portico.url, "/oauth2/token", {
        method: "POST",
        headers: {
          authorization: basicAuth(portico.root.id, portico.root.secret),
          "content-type": "application/x-www-form-urlencoded",
          "content-encoding": "gzip",
        },
        body: form,
      });
      assert.equal(token.status, 415, token.body);
      assert.equal(token.headers["accept-encoding"], "identity");
      assert.deepEqual(JSON.parse(token.body), { error: "invalid_request", error_description: description });
      const introspection = await send(portico.url, "/oauth2/introspect", {
        method: "POST",
        headers: {
          authorization: basicAuth(portico.root.id, portico.root.secret),
          "content-type": "application/x-www-form-urlencoded",
          "content-encoding": "GZIP",
        },
        body: gzipSync(`token=${root}`),
      });
      assert.equal(introspection.status, 415, introspection.body);
      assert.equal((JSON.parse(introspection.body) as { error: string }).error, "invalid_request");
      const userinfo = await send(portico.url, "/userinfo", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "content-encoding": "br" },
        body: gzipSync(`access_token=${root}`),
      });
      assert.equal(userinfo.status, 415, userinfo.body);
      assert.match(String(userinfo.headers["www-authenticate"]), /error="invalid_request"/);
      const clients = await send(portico.url, "/clients", {
        method: "POST",
        headers: {
          authorization: `Bearer ${root}`,
          "content-type": "application/json",
          "content-encoding": "gzip",
        },
        body: json,
      });
      assert.equal(clients.status, 415, clients.body);
      assert.deepEqual(JSON.parse(clients.body), {
        error: { code: 415, status: "Unsupported Media Type", message: description },
      });
      const admin = await send(portico.adminUrl, "/admin/clients", {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: json,
      });
      assert.equal(admin.status, 415, admin.body);
      assert.equal(admin.headers["accept-encoding"], "identity");
      assert.deepEqual(JSON.parse(admin.body), {
        error: "invalid_request",
        error_description: description,
        status_code: 415,
      });
      // An empty body has nothing to decode: read as the empty body it is.
      const empty = await send(portico.url, "/oauth2/revoke", {
        method: "POST",
        headers: {
          authorization: basicAuth(portico.root.id, portico.root.secret),
          "content-type": "application/x-www-form-urlencoded",
          "content-encoding": "gzip",
          "content-length": "0",
        },
      });
      assert.equal(empty.status, 400, empty.body);
      assert.equal((JSON.parse(empty.body) as { error: string }).error, "invalid_request");
      // `identity` is no coding at all: the body is read as it is.
      const plain = await send(portico.adminUrl, "/admin/clients", {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "identity" },
        body: JSON.stringify({ client_name: "plain" }),
      });
      assert.equal(plain.status, 201, plain.body);
      // The refused body was framed by its length: the next request on the connection is read as one.
      const host = new URL(portico.url).host;
      const pipelined = await rawExchange(
        portico.url,
        Buffer.concat([
          Buffer.from(
            `POST /oauth2/token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
              `Content-Encoding: gzip\r\nContent-Length: ${form.length}\r\n\r\n`,
          ),
          form,
          Buffer.from(`GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
        ]),
      );
      assert.match(pipelined, /^HTTP\/1\.1 415 /);
      assert.match(pipelined, /HTTP\/1\.1 200 OK[\s\S]*\{"status":"ok"\}$/);
    });

    test("an answer to a request Node's parser refused carries a Date, as every 4xx must (RFC 9110 §6.6.1)", async () => {
      for (const base of [portico.url, portico.adminUrl]) {
        const malformed = await rawExchange(base, "GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n");
        assert.match(malformed, /^HTTP\/1\.1 400 /, malformed);
        const date = rawHeaders(malformed).get("date");
        assert.ok(date, `${base}: a 400 without Date:\n${malformed}`);
        assert.ok(Math.abs(Date.parse(date) - Date.now()) < 60_000 * 10, date);
        const tooLarge = await rawExchange(
          base,
          `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
        );
        assert.match(tooLarge, /^HTTP\/1\.1 431 /, tooLarge.slice(0, 200));
        assert.ok(rawHeaders(tooLarge).get("date"), `${base}: a 431 without Date`);
      }
    });

    test("a page answers a method it does not take with a 405 naming the ones it does, and OPTIONS with them", async () => {
      await assertMethodsRefused(
        portico.url,
        [
          ["PUT", "/login", "GET, HEAD, OPTIONS, POST"],
          ["DELETE", "/account", "GET, HEAD, OPTIONS, POST"],
          ["PATCH", "/consent/ask", "GET, HEAD, OPTIONS, POST"],
          ["DELETE", "/consent", "GET, HEAD, OPTIONS"],
          ["POST", "/consent", "GET, HEAD, OPTIONS"],
          ["PUT", "/logout", "GET, HEAD, OPTIONS"],
        ],
        (answer, method, path) =>
          assert.doesNotMatch(answer.body, /<html/i, `${method} ${path}: no page rendered`),
        {
          // Node's client frames a DELETE's body only with a length of its own.
          headers: { "content-type": "application/x-www-form-urlencoded", "content-length": "3" },
          body: "a=b",
        },
      );
      for (const [path, allow] of [
        ["/login", "GET, HEAD, OPTIONS, POST"],
        ["/consent", "GET, HEAD, OPTIONS"],
      ] as const) {
        const answer = await send(portico.url, path, { method: "OPTIONS" });
        assert.equal(answer.status, 204, `OPTIONS ${path}: ${answer.status} ${answer.body}`);
        assert.equal(answer.headers.allow, allow, `OPTIONS ${path}`);
      }
      // What the pages answered stays as it was.
      assert.equal((await send(portico.url, "/login")).status, 200);
      assert.equal((await send(portico.url, "/login", { method: "HEAD" })).status, 200);
      const crossSite = await send(portico.url, "/login", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "https://evil.example",
          "sec-fetch-site": "cross-site",
        },
        body: "email=a%40example.com&password=x",
      });
      assert.equal(crossSite.status, 403);
    });
  });
}
