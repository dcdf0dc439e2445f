/**
 * The checks of GET /oauth2/auth, one case each: errors before the client
 * and its redirect URI are verified are an HTML page (never a redirect),
 * after that they go to the client with `state`, in the query or fragment the
 * response type calls for.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Portico } from "@/tests/support/server.ts";
import {
  Browser,
  CONSENT_URL,
  consentIdOf,
  pkcePair,
  registerClient,
  responseParams,
  startOAuth2Portico,
  type TestClient,
} from "./support.ts";

describe("GET /oauth2/auth checks", () => {
  let portico: Portico;
  let web: TestClient;
  let codeOnly: TestClient;
  let spa: TestClient;
  let twoUris: TestClient;

  before(async () => {
    portico = await startOAuth2Portico();
    web = await registerClient(portico, {
      grant_types: ["authorization_code", "implicit"],
      response_types: ["code", "token", "id_token"],
      scope: "openid offline api.* photos",
    });
    codeOnly = await registerClient(portico, {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      scope: "openid offline",
    });
    spa = await registerClient(portico, {
      public: true,
      grant_types: ["authorization_code", "implicit"],
      response_types: ["code", "token"],
      scope: "openid",
    });
    twoUris = await registerClient(portico, {
      redirect_uris: ["https://two.example/a", "https://two.example/b"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    });
  });
  after(() => portico.stop());

  const auth = (params: Record<string, string> | string) =>
    new Browser().get(
      `${portico.url}/oauth2/auth?${typeof params === "string" ? params : new URLSearchParams(params)}`,
    );

  async function assertErrorPage(response: Response, error: string) {
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("location"), null, "never redirected");
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("cache-control"), "no-store");
    const html = await response.text();
    assert.ok(html.includes(error), `the page names ${error}`);
    return html;
  }

  test("unknown, missing or repeated client_id: an error page", async () => {
    await assertErrorPage(await auth({ response_type: "code", client_id: "nobody" }), "invalid_client");
    await assertErrorPage(await auth({ response_type: "code" }), "invalid_request");
    await assertErrorPage(
      await auth(`response_type=code&client_id=${web.id}&client_id=${web.id}`),
      "invalid_request",
    );
  });

  test("a redirect_uri that is not registered exactly: an error page that reflects nothing unescaped", async () => {
    const cases = [
      "https://evil.example/cb",
      `${web.redirectUri}/`,
      `${web.redirectUri}?x=1`,
      web.redirectUri.toUpperCase(),
      `https://evil.example/"><script>alert(1)</script>`,
    ];
    for (const redirectUri of cases) {
      const html = await assertErrorPage(
        await auth({
          response_type: "code",
          client_id: web.id,
          redirect_uri: redirectUri,
          state: "<b>x</b>",
        }),
        "invalid_request",
      );
      assert.ok(!html.includes("<script>") && !html.includes("<b>"), "no reflected markup");
    }
  });

  test("redirect_uri may be left out only when the client registered exactly one", async () => {
    await assertErrorPage(await auth({ response_type: "code", client_id: twoUris.id }), "invalid_request");
    consentIdOf(await auth({ response_type: "code", client_id: codeOnly.id, scope: "offline" }));
  });

  test("an OpenID Connect request must name its redirect_uri, even for a client with one: an error page (oidcc-ensure-redirect-uri-in-authorization-request)", async () => {
    for (const scope of ["openid", "offline openid", "openid offline"]) {
      const html = await assertErrorPage(
        await auth({ response_type: "code", client_id: codeOnly.id, scope, state: "s", nonce: "n" }),
        "invalid_request",
      );
      assert.match(html, /redirect_uri is required/);
    }
    const named = await auth({
      response_type: "code",
      client_id: codeOnly.id,
      redirect_uri: codeOnly.redirectUri,
      scope: "openid",
    });
    consentIdOf(named);
  });

  /** Once the client and redirect URI are verified, errors go back to them. */
  const redirected: Array<
    [
      name: string,
      client: () => TestClient,
      params: Record<string, string>,
      error: string,
      mode: "query" | "fragment",
    ]
  > = [
    ["no response_type", () => web, {}, "invalid_request", "query"],
    [
      "an unknown response_type",
      () => web,
      { response_type: "code foo" },
      "unsupported_response_type",
      "query",
    ],
    [
      "a response type the client did not register",
      () => codeOnly,
      { response_type: "token" },
      "unauthorized_client",
      "fragment",
    ],
    [
      "implicit without the implicit grant",
      () => codeOnly,
      { response_type: "code id_token", nonce: "n", scope: "openid" },
      "unauthorized_client",
      "fragment",
    ],
    [
      "a scope the client may not request",
      () => web,
      { response_type: "code", scope: "openid admin" },
      "invalid_scope",
      "query",
    ],
    [
      "foo does not imply foobar",
      () => web,
      { response_type: "code", scope: "photosx" },
      "invalid_scope",
      "query",
    ],
    ["api.* is not api", () => web, { response_type: "code", scope: "api" }, "invalid_scope", "query"],
    [
      "more than 100 scopes, each allowed",
      () => web,
      { response_type: "code", scope: Array.from({ length: 101 }, (_, i) => `api.s${i}`).join(" ") },
      "invalid_scope",
      "query",
    ],
    [
      "an id_token without openid",
      () => web,
      { response_type: "id_token", nonce: "n", scope: "api.read" },
      "invalid_request",
      "fragment",
    ],
    [
      "an id_token without nonce",
      () => web,
      { response_type: "id_token", scope: "openid" },
      "invalid_request",
      "fragment",
    ],
    [
      "code id_token without nonce",
      () => web,
      { response_type: "code id_token", scope: "openid" },
      "invalid_request",
      "fragment",
    ],
    [
      "a public client without PKCE",
      () => spa,
      { response_type: "code", scope: "openid" },
      "invalid_request",
      "query",
    ],
    [
      "PKCE plain",
      () => web,
      { response_type: "code", code_challenge: "a".repeat(43), code_challenge_method: "plain" },
      "invalid_request",
      "query",
    ],
    [
      "PKCE without a method (plain)",
      () => web,
      { response_type: "code", code_challenge: "a".repeat(43) },
      "invalid_request",
      "query",
    ],
    [
      "a malformed code_challenge",
      () => web,
      { response_type: "code", code_challenge: "short", code_challenge_method: "S256" },
      "invalid_request",
      "query",
    ],
    [
      "a request object",
      () => web,
      { response_type: "code", request: "eyJ.e30." },
      "request_not_supported",
      "query",
    ],
    [
      "a request_uri",
      () => web,
      { response_type: "code", request_uri: "https://rp.example/r" },
      "request_uri_not_supported",
      "query",
    ],
  ];
  for (const [name, client, params, error, mode] of redirected) {
    test(`${name}: ${error} to the client, with state, in the ${mode}`, async () => {
      const c = client();
      const response = await auth({ client_id: c.id, redirect_uri: c.redirectUri, state: "st-1", ...params });
      assert.ok(response.headers.get("location")?.startsWith(c.redirectUri), "sent to the registered URI");
      const back = responseParams(response, mode);
      assert.equal(back.get("error"), error);
      assert.ok(back.get("error_description"));
      assert.equal(back.get("state"), "st-1");
      assert.equal(back.get("iss"), portico.url);
      assert.equal(response.headers.get("cache-control"), "no-store");
    });
  }

  test("a parameter sent twice (after the client is known): invalid_request to the client", async () => {
    const response = await auth(
      `client_id=${web.id}&redirect_uri=${encodeURIComponent(web.redirectUri)}&response_type=code&scope=openid&scope=api.read&state=dup`,
    );
    const back = responseParams(response, "query");
    assert.equal(back.get("error"), "invalid_request");
    assert.equal(back.get("state"), "dup");
  });

  test("a valid request: 302 to CONSENT_URL with a binding cookie scoped to /oauth2/auth", async () => {
    const { challenge } = pkcePair();
    const response = await auth({
      response_type: "code",
      client_id: spa.id,
      redirect_uri: spa.redirectUri,
      scope: "openid",
      state: "s",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const id = consentIdOf(response);
    assert.equal(response.headers.get("location"), `${CONSENT_URL}?consent=${id}`);
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.length, 1);
    const cookie = cookies[0] as string;
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\/oauth2\/auth/);
    assert.doesNotMatch(cookie, /; Secure/, "ISSUER is http here");
    assert.match(cookie, /=[A-Za-z0-9_-]{43};/, "a random value");
  });

  test("an https ISSUER makes the binding cookie Secure", async () => {
    const https = await startOAuth2Portico({ env: { ISSUER: "https://portico.example", SMTP_URL: "log" } });
    try {
      const client = await registerClient(https, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
      });
      const response = await fetch(
        `${https.url}/oauth2/auth?${new URLSearchParams({ response_type: "code", client_id: client.id })}`,
        { redirect: "manual" },
      );
      assert.equal(response.status, 302);
      assert.match(response.headers.getSetCookie()[0] ?? "", /; Secure/);
    } finally {
      await https.stop();
    }
  });
});
