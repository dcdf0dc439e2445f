/**
 * The HTTP layer in front of both halves: the ids of paths the warden and the
 * database see, and request targets the URL parser rewrites. Every bad input
 * is a 4xx, never a 500, and a request reaches the same half, with the same
 * checks, however its path is spelled.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConsentApp, consentIdOf, registerClient, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { assertMethodsRefused, rawExchange, send } from "@/tests/support/raw-http.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

for (const backend of BACKENDS) {
  describe(`ids in paths and queries, and requested scopes, are checked before the warden and the database (${backend})`, () => {
    let portico: Portico;
    let root: string;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      root = await portico.rootToken();
    });
    after(() => portico.stop());

    test("a consent request id holding U+0000, other Unicode or over 64 characters is a 400, on every operation", async () => {
      for (const id of ["a%00b", "%E2%80%A8x", "%C3%BC", "x".repeat(65)]) {
        for (const [method, path, json] of [
          ["GET", `/oauth2/consent/requests/${id}`, undefined],
          ["GET", `/oauth2/consent/requests/${id}/decision`, undefined],
          ["PATCH", `/oauth2/consent/requests/${id}/accept`, { subject: "user-1", grantScopes: [] }],
          ["PATCH", `/oauth2/consent/requests/${id}/reject`, { reason: "no" }],
        ] as const) {
          const response = await portico.call(path, { method, token: root, json });
          const text = await response.text();
          assert.equal(response.status, 400, `${method} ${path}: ${text}`);
          const body = JSON.parse(text) as { error: { code: number; message: string } };
          assert.equal(body.error.code, 400);
          assert.match(body.error.message, /consent request id must be 1–64 printable ASCII/);
        }
      }
      // Ids that are only unknown stay a 404.
      const unknown = await portico.call("/oauth2/consent/requests/no-such-request", { token: root });
      assert.equal(unknown.status, 404);
    });

    test("a real consent request is still read and decided by its id", async () => {
      const client = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
      });
      const query = new URLSearchParams({
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: "state-value-1234",
      });
      const auth = await fetch(`${portico.url}/oauth2/auth?${query}`, { redirect: "manual" });
      const id = consentIdOf(auth);
      const consentApp = await ConsentApp.for(portico);
      assert.equal((await portico.call(`/oauth2/consent/requests/${id}`, { token: root })).status, 200);
      assert.equal((await consentApp.reject(id, { reason: "no" })).status, 204);
      assert.equal(
        (await portico.call(`/oauth2/consent/requests/${id}/decision`, { token: root })).status,
        200,
      );
    });

    test("a requested scope that is no RFC 6749 scope-token is invalid_scope, also under a client's `*`", async () => {
      const client = await registerClient(portico, {
        grant_types: ["authorization_code", "client_credentials"],
        response_types: ["code"],
        scope: "openid api.*",
      });
      const authorize = (scope: string) =>
        fetch(
          `${portico.url}/oauth2/auth?${new URLSearchParams({
            response_type: "code",
            client_id: client.id,
            redirect_uri: client.redirectUri,
            scope,
            state: "state-value-1234",
          })}`,
          { redirect: "manual" },
        );
      const clientCredentials = (scope: string) =>
        fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ grant_type: "client_credentials", scope }),
        });
      // RFC 6749 §5.2: what an error_description may hold.
      const DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;
      for (const bad of ["api.\u202Eevil", 'api."x', "api.a\\b", "api.caf\u00e9", "api.a\tb", "api.\u0007"]) {
        const redirect = await authorize(`openid ${bad}`);
        assert.equal(redirect.status, 302, bad);
        const location = new URL(redirect.headers.get("location") ?? "");
        assert.equal(`${location.origin}${location.pathname}`, client.redirectUri, bad);
        assert.equal(location.searchParams.get("error"), "invalid_scope", bad);
        assert.match(location.searchParams.get("error_description") ?? "", DESCRIPTION, bad);
        const token = await clientCredentials(bad);
        const body = (await token.json()) as { error: string; error_description: string };
        assert.equal(token.status, 400, bad);
        assert.equal(body.error, "invalid_scope", bad);
        assert.match(body.error_description, DESCRIPTION, bad);
      }
      // A scope-token the client's wildcard covers is granted as before.
      consentIdOf(await authorize("openid api.read"));
      const granted = await clientCredentials("api.read");
      assert.equal(granted.status, 200);
      assert.equal(((await granted.json()) as { scope: string }).scope, "api.read");
    });

    test("the Hydra 2.x admin API refuses U+0000 in any path or query value with a 400, never a 500", async () => {
      const admin = (path: string, method = "GET", json?: unknown) =>
        fetch(`${portico.adminUrl}${path}`, {
          method,
          headers: json === undefined ? {} : { "content-type": "application/json" },
          body: json === undefined ? undefined : JSON.stringify(json),
        });
      for (const [method, path, json] of [
        ["GET", "/admin/clients/a%00b"],
        ["PUT", "/admin/clients/a%00b", { client_name: "x" }],
        ["DELETE", "/admin/clients/a%00b"],
        ["GET", "/admin/clients?client_name=a%00b"],
        ["GET", "/admin/clients?owner=a%00b"],
        ["GET", "/admin/keys/a%00b"],
        ["GET", "/admin/keys/set/a%00b"],
        ["DELETE", "/admin/keys/a%00b"],
        ["GET", "/admin/oauth2/auth/sessions/consent?subject=a%00b"],
        ["DELETE", "/admin/oauth2/auth/sessions/consent?subject=a%00b&all=true"],
        ["DELETE", "/admin/oauth2/auth/sessions/login?subject=a%00b"],
        ["DELETE", "/admin/oauth2/auth/sessions/login?sid=a%00b"],
        ["DELETE", "/admin/oauth2/tokens?client_id=a%00b"],
        ["GET", "/admin/oauth2/auth/requests/login?login_challenge=a%00b"],
        ["PUT", "/admin/oauth2/auth/requests/consent/reject?consent_challenge=a%00b", {}],
      ] as const) {
        const response = await admin(path, method, json);
        const text = await response.text();
        assert.equal(response.status, 400, `${method} ${path}: ${text}`);
        const body = JSON.parse(text) as { error: string; status_code: number; error_description: string };
        assert.equal(body.error, "invalid_request");
        assert.equal(body.status_code, 400);
        assert.match(body.error_description, /NUL/);
      }
      // `%2500` is a percent sign followed by 00, not a NUL: an unknown client as any other.
      assert.equal((await admin("/admin/clients/a%2500b")).status, 404);
      assert.equal((await admin("/admin/clients?owner=a%2500b")).status, 200);
    });
  });
}

for (const backend of BACKENDS) {
  describe(`what a refused form post writes to the log (${backend})`, () => {
    let portico: Portico;
    before(async () => {
      portico = await startPortico({ backend });
    });
    after(() => portico.stop());

    test("a cross-site post with a 15 KB Origin and path is a 403 whose log line stays short", async () => {
      const origin = `https://${"e".repeat(15_000)}.example`;
      const answer = await send(portico.url, `/login?${"q".repeat(500)}`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin,
          "sec-fetch-site": "cross-site",
        },
        body: "email=a%40example.com&password=x",
      });
      assert.equal(answer.status, 403);
      const refusal = portico
        .output()
        .split("\n")
        .find((line) => line.includes("refused a form post from another site"));
      assert.ok(refusal, portico.output().slice(-2000));
      // Before: the whole Origin, a 15 KB line for every such request.
      assert.ok(refusal.length < 1024, `a ${refusal.length}-byte log line`);
      const fields = JSON.parse(refusal) as { origin: string };
      assert.ok(fields.origin.startsWith("https://eeee"));
      assert.match(fields.origin, /… \(15016 characters\)$/);
    });
  });
}

describe("every request target reaches the half, and the checks, of the path it names", () => {
  let portico: Portico;

  before(async () => {
    portico = await startPortico();
  });
  after(() => portico.stop());

  // Each names /login once resolved, as Next.js resolves it; on the raw text they looked like build assets.
  const LOGIN_SPELLINGS = [
    "/_next/static/../../login",
    "/_next/static/%2e%2e/%2E%2E/login",
    "/_next/image/.%2e/%2e./login",
    "/brand/./../login",
  ];

  test("a page behind dot segments gets the pages' front: its CSP with a nonce and a session cookie", async () => {
    for (const target of LOGIN_SPELLINGS) {
      const answer = await send(portico.url, target);
      assert.equal(answer.status, 200, target);
      assert.match(String(answer.headers["content-security-policy"]), /'nonce-/, target);
      assert.ok(answer.headers["set-cookie"], `${target}: the anonymous session (its CSRF token)`);
    }
  });

  test("a form post behind dot segments is refused by the front: 413 over 1 MB, 411 without a length, 403 cross-site", async () => {
    for (const target of LOGIN_SPELLINGS) {
      const big = await send(portico.url, target, {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=b" },
        body: Buffer.alloc(1024 * 1024 + 1, "a"),
      });
      assert.equal(big.status, 413, `${target}: ${big.body.slice(0, 200)}`);
      const unsized = await send(portico.url, target, {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=b", "transfer-encoding": "chunked" },
        body: "--b--\r\n",
      });
      assert.equal(unsized.status, 411, `${target}: ${unsized.body.slice(0, 200)}`);
      const crossSite = await send(portico.url, target, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "https://evil.example",
          "sec-fetch-site": "cross-site",
        },
        body: "email=a%40example.com&password=x",
      });
      assert.equal(crossSite.status, 403, `${target}: ${crossSite.body.slice(0, 200)}`);
    }
    // The log says why (it is also what a site reached under another host than ISSUER's gets).
    const refusal = portico
      .output()
      .split("\n")
      .find((line) => line.includes("refused a form post from another site"));
    assert.ok(refusal, portico.output());
    assert.equal((JSON.parse(refusal) as { origin: string }).origin, "https://evil.example");
  });

  test("an API path behind dot segments or a fragment is the API's", async () => {
    for (const target of ["/login/../health", "/x/%2e%2e/health", "/health#fragment"]) {
      const answer = await send(portico.url, target);
      assert.equal(answer.status, 200, target);
      assert.deepEqual(JSON.parse(answer.body), { status: "ok" }, target);
    }
    // And the other way round: a page path is never read by the API's rules.
    const page = await send(portico.url, "/clients/%2e%2e/login");
    assert.match(String(page.headers["content-type"]), /^text\/html/);
  });

  test("an absolute-form target is served as its path (RFC 9112 §3.2.2)", async () => {
    const health = await send(portico.url, `${portico.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: "ok" });
    const token = await send(portico.url, `${portico.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    assert.equal(token.status, 401);
    assert.equal(JSON.parse(token.body).error, "invalid_client");
    const clients = await send(portico.url, `${portico.url}/clients?limit=1`, {
      headers: { authorization: `Bearer ${await portico.rootToken()}` },
    });
    assert.equal(clients.status, 200);
    assert.equal((JSON.parse(clients.body) as unknown[]).length, 1);
  });

  test("a target without a path is a 400 (OPTIONS * a 200), and a backslash a 400, never a 500", async () => {
    const star = await send(portico.url, "*", { method: "OPTIONS" });
    assert.equal(star.status, 200);
    assert.equal(star.body, "");
    assert.equal((await send(portico.url, "*")).status, 400);
    for (const target of ["/_next\\static\\..\\..\\login", "/health\\"]) {
      assert.equal((await send(portico.url, target)).status, 400, target);
    }
    assert.equal((await fetch(`${portico.url}/health`)).status, 200, "the server goes on serving");
  });

  test("an HTTP/1.0 request without Host is served on both listeners, as the pages serve it", async () => {
    for (const [base, path] of [
      [portico.url, "/health"],
      [portico.url, "/.well-known/openid-configuration"],
      [portico.adminUrl, "/health/alive"],
    ] as const) {
      const answer = await rawExchange(base, `GET ${path} HTTP/1.0\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 200 /, `${base}${path}: ${answer.slice(0, 300)}`);
    }
  });

  test("a request asking to upgrade (WebSocket, h2c) is answered as any other, after the pages served one", async () => {
    // Next.js listens for upgrades on the server of the first page request it serves.
    assert.equal((await fetch(`${portico.url}/login`)).status, 200);
    const token = await portico.rootToken();
    for (const [path, upgrade, status] of [
      ["/health", "h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA", 200],
      ["/health", "websocket", 200],
      ["/clients?limit=1", "websocket", 200],
      ["/no-such-page", "websocket", 404],
      ["/login", "h2c", 200],
    ] as const) {
      const answer = await rawExchange(
        portico.url,
        `GET ${path} HTTP/1.1\r\nHost: ${new URL(portico.url).host}\r\nAuthorization: Bearer ${token}\r\n` +
          `Upgrade: ${upgrade}\r\nConnection: Upgrade, close\r\n\r\n`,
      );
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${path}: ${answer.slice(0, 300)}`);
    }
  });

  test("a method a path does not answer is a 405 naming the ones it does (Allow), an unknown path a 404", async () => {
    await assertMethodsRefused(
      portico.url,
      [
        ["PATCH", "/clients", "GET, HEAD, POST"],
        ["POST", "/clients/some-client", "DELETE, GET, HEAD, PUT"],
        ["GET", "/oauth2/token", "OPTIONS, POST"],
        ["DELETE", "/health", "GET, HEAD"],
        ["POST", "/.well-known/jwks.json", "GET, HEAD, OPTIONS"],
      ],
      (answer) => {
        const body = JSON.parse(answer.body) as { error: { code: number; status: string } };
        assert.deepEqual([body.error.code, body.error.status], [405, "Method Not Allowed"]);
      },
    );
    for (const [method, path] of [
      ["GET", "/no-such-operation"],
      ["GET", "/clients/"],
      ["PATCH", "/clients/a/b"],
    ] as const) {
      assert.equal((await send(portico.url, path, { method })).status, 404, `${method} ${path}`);
    }
  });
});
