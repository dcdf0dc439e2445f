/**
 * Consent requests: the consent API as the consent app uses it, and the
 * return to /oauth2/auth — browser binding, verifier, single use, expiry,
 * rejection — on every backend, plus one flow served by two instances.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, freshDatabase, type Portico } from "@/tests/support/server.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  type ConsentRequestWire,
  consentIdOf,
  credentialsOf,
  pkcePair,
  postForm,
  registerClient,
  responseParams,
  sleep,
  startOAuth2Portico,
  type TestClient,
  verifyIdToken,
} from "./support.ts";

async function apiError(response: Response, status: number) {
  assert.equal(response.status, status);
  const body = (await response.json()) as { error: { code: number; status: string; message: string } };
  assert.equal(body.error.code, status);
  assert.equal(typeof body.error.status, "string");
  assert.ok(body.error.message);
}

for (const backend of BACKENDS) {
  describe(`consent requests (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let web: TestClient;
    let other: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      web = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline photos.*",
      });
      other = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid offline photos.*",
      });
    });
    after(() => portico.stop());

    function params(client: TestClient = web, extra: Record<string, string> = {}) {
      return {
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: "openid photos.read",
        state: "state-123",
        nonce: "nonce-123",
        ...extra,
      };
    }

    /** The browser's first leg: answers the browser (holding the cookie) and the consent request. */
    async function start(client: TestClient = web, extra: Record<string, string> = {}) {
      const browser = new Browser();
      const id = consentIdOf(
        await browser.get(`${portico.url}/oauth2/auth?${new URLSearchParams(params(client, extra))}`),
      );
      return { browser, id, request: await consentApp.request(id) };
    }

    function expectError(response: Response, error: string) {
      const back = responseParams(response, "query");
      assert.equal(back.get("error"), error, back.get("error_description") ?? "");
      assert.equal(back.get("state"), "state-123");
      assert.equal(back.get("code"), null);
    }

    test("GET: the oAuth2consentRequest, whose redirectUrl returns to /oauth2/auth with the verifier", async () => {
      const { id, request } = await start();
      assert.deepEqual(Object.keys(request).sort(), [
        "audience",
        "expiresAt",
        "id",
        "redirectUrl",
        "requestedScopes",
      ]);
      assert.equal(request.id, id);
      assert.equal(request.audience, web.id);
      assert.deepEqual(request.requestedScopes, ["openid", "photos.read"]);
      assert.ok(!Number.isNaN(Date.parse(request.expiresAt)) && /Z$/.test(request.expiresAt), "RFC 3339");
      const redirect = new URL(request.redirectUrl);
      assert.equal(`${redirect.origin}${redirect.pathname}`, `${portico.url}/oauth2/auth`);
      for (const [name, value] of Object.entries(params()))
        assert.equal(redirect.searchParams.get(name), value);
      assert.equal(redirect.searchParams.get("consent"), id);
      assert.match(redirect.searchParams.get("consent_verifier") ?? "", /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await consentApp.request(id), request, "GET is repeatable");
    });

    test("GET ?include=client: the client comes along as its consent screen shows it, nothing more", async () => {
      const { id, request } = await start();
      const response = await consentApp.get(id, "?include=client");
      assert.equal(response.status, 200);
      const { client, ...rest } = (await response.json()) as { client: Record<string, unknown> };
      assert.deepEqual(rest, request, "the 2017 fields are unchanged");
      assert.deepEqual(Object.keys(client).sort(), [
        "client_name",
        "client_uri",
        "id",
        "logo_uri",
        "policy_uri",
        "tos_uri",
      ]);
      assert.equal(client.id, web.id);
      const unknownInclude = await consentApp.get(id, "?include=secrets");
      assert.deepEqual(await unknownInclude.json(), request, "anything else: the 2017 body");
    });

    test("GET says interactionRequired for a public client whose redirect URI any app could claim", async () => {
      const publicClient = async (redirectUris: string[]) =>
        registerClient(portico, {
          public: true,
          token_endpoint_auth_method: "none",
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid photos.*",
          redirect_uris: redirectUris,
        });
      const native = await publicClient(["com.example.app:/cb"]);
      const nativeOmitted = await publicClient(["com.example.other:/cb"]);
      const httpsPublic = await publicClient(["https://spa.example/cb"]);
      const loopback = await publicClient(["http://127.0.0.1:8123/cb"]);
      const pkce = pkcePair();
      const extra = { code_challenge: pkce.challenge, code_challenge_method: "S256" };
      const required = async (client: TestClient, more: Record<string, string> = {}) =>
        (await start(client, { ...extra, ...more })).request as { interactionRequired?: boolean };

      assert.equal((await required(native)).interactionRequired, true);
      // Without redirect_uri (a plain OAuth 2.0 request: an OpenID Connect one must name it) the
      // request uses the client's only one: the same answer.
      const omitted = params(nativeOmitted, { ...extra, scope: "photos.read" }) as Record<string, string>;
      delete omitted.redirect_uri;
      const browser = new Browser();
      const id = consentIdOf(await browser.get(`${portico.url}/oauth2/auth?${new URLSearchParams(omitted)}`));
      assert.equal(
        ((await consentApp.request(id)) as { interactionRequired?: boolean }).interactionRequired,
        true,
      );
      // https, http on loopback, and a confidential client: the 2017 body, without the field.
      for (const client of [httpsPublic, loopback, web]) {
        const request = await required(client);
        assert.ok(!("interactionRequired" in request), client.redirectUri);
      }
    });

    test("GET/PATCH: unknown 404, no token 401, a token without hydra.consent or permission 403", async () => {
      await apiError(await consentApp.get("no-such-request"), 404);
      await apiError(await consentApp.accept("no-such-request", { subject: "u" }), 404);
      await apiError(await consentApp.reject("no-such-request"), 404);
      const { id } = await start();
      await apiError(await portico.call(`/oauth2/consent/requests/${id}`), 401);
      const rootWithoutScope = await portico.rootToken("hydra.clients");
      await apiError(await portico.call(`/oauth2/consent/requests/${id}`, { token: rootWithoutScope }), 403);
      const stranger = await registerClient(portico, {
        client_secret: "stranger-secret-0123456789",
        grant_types: ["client_credentials"],
        scope: "hydra.consent",
      });
      const strangerToken = await portico.tokenFor(
        stranger.id,
        "stranger-secret-0123456789",
        "hydra.consent",
      );
      await apiError(await portico.call(`/oauth2/consent/requests/${id}`, { token: strangerToken }), 403);
      await apiError(
        await portico.call(`/oauth2/consent/requests/${id}/accept`, {
          method: "PATCH",
          token: strangerToken,
          json: { subject: "mallory" },
        }),
        403,
      );
    });

    test("accept: subject required, grantScopes a subset of requestedScopes, else 400 and nothing changes", async () => {
      const { id } = await start();
      await apiError(await consentApp.accept(id, {}), 400);
      await apiError(await consentApp.accept(id, { subject: "" }), 400);
      await apiError(
        await consentApp.accept(id, { subject: "u", grantScopes: ["openid", "photos.write"] }),
        400,
      );
      await apiError(await consentApp.accept(id, { subject: "u", grantScopes: "openid" }), 400);
      assert.equal((await consentApp.get(id)).status, 200, "still undecided");
    });

    test("a decided request: a second accept or reject is 409 and changes nothing; GET is 409", async () => {
      const { browser, id, request } = await start(web, { scope: "openid photos.read offline" });
      assert.equal(
        (await consentApp.accept(id, { subject: "first", grantScopes: ["openid", "offline"] })).status,
        204,
      );
      await apiError(
        await consentApp.accept(id, { subject: "second", grantScopes: ["openid", "photos.read"] }),
        409,
      );
      await apiError(await consentApp.reject(id), 409);
      await apiError(await consentApp.get(id), 409);
      const back = responseParams(await browser.get(request.redirectUrl), "query");
      const tokens = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code: back.get("code") as string, redirect_uri: web.redirectUri },
        credentialsOf(web),
      );
      assert.equal(tokens.json.scope, "openid offline", "the first decision stands");
      await verifyIdToken(portico, tokens.json.id_token as string, {
        clientId: web.id,
        subject: "first",
        nonce: "nonce-123",
        accessToken: tokens.json.access_token as string,
      });
    });

    test("GET …/decision (an addition): the answer and the redirectUrl until the browser uses it", async () => {
      const { browser, id, request } = await start(web, { scope: "openid photos.read offline" });
      await apiError(await consentApp.decision(id), 409);
      await apiError(await consentApp.decision("no-such-request"), 404);
      assert.equal((await portico.call(`/oauth2/consent/requests/${id}/decision`)).status, 401);
      assert.equal(
        (await consentApp.accept(id, { subject: "ann", grantScopes: ["openid", "offline"] })).status,
        204,
      );
      const decided = await consentApp.decision(id);
      assert.equal(decided.status, 200);
      assert.equal(decided.headers.get("cache-control"), "no-store");
      assert.deepEqual(await decided.json(), {
        status: "accepted",
        subject: "ann",
        grantScopes: ["openid", "offline"],
        redirectUrl: request.redirectUrl,
      });
      assert.ok(responseParams(await browser.get(request.redirectUrl), "query").get("code"));
      await apiError(await consentApp.decision(id), 409);

      const denied = await start();
      assert.equal((await consentApp.reject(denied.id, { reason: "no" })).status, 204);
      assert.deepEqual(await (await consentApp.decision(denied.id)).json(), {
        status: "rejected",
        error: "access_denied",
        redirectUrl: denied.request.redirectUrl,
      });
    });

    test("rejected: access_denied with state; the request is then used up", async () => {
      const { browser, id, request } = await start();
      assert.equal((await consentApp.reject(id, { reason: "the user said no" })).status, 204);
      await apiError(await consentApp.accept(id, { subject: "u" }), 409);
      const snapshot = browser.snapshot();
      expectError(await browser.get(request.redirectUrl), "access_denied");
      browser.restore(snapshot);
      expectError(await browser.get(request.redirectUrl), "invalid_request");
    });

    test("reject accepts an empty body", async () => {
      const { id } = await start();
      const response = await portico.call(`/oauth2/consent/requests/${id}/reject`, {
        method: "PATCH",
        token: consentApp.token,
      });
      assert.equal(response.status, 204);
    });

    test("the consent-fixation attack: another browser with the verifier is refused; the victim's still works", async () => {
      // The attacker starts a request in their browser and lures the victim to the consent app with its id.
      const { browser: attacker, id, request } = await start();
      const cookies = attacker.snapshot();
      assert.equal(cookies.size, 1);
      assert.equal((await consentApp.accept(id, { subject: "victim", grantScopes: ["openid"] })).status, 204);
      // The consent app sends the *victim's* browser to redirectUrl: it has no binding cookie.
      const victim = new Browser();
      expectError(await victim.get(request.redirectUrl), "access_denied");
      // The attacker's browser has the cookie but never saw the verifier; guessing one fails too.
      const withoutVerifier = new URL(request.redirectUrl);
      withoutVerifier.searchParams.delete("consent_verifier");
      expectError(await attacker.get(withoutVerifier.href), "access_denied");
      const guessed = new URL(request.redirectUrl);
      guessed.searchParams.set("consent_verifier", "A".repeat(43));
      attacker.restore(cookies);
      expectError(await attacker.get(guessed.href), "access_denied");
      // None of this used the request up: with both, in the browser that started it, it completes.
      attacker.restore(cookies);
      const done = responseParams(await attacker.get(request.redirectUrl), "query");
      assert.ok(done.get("code"));
    });

    test("replay: a used request cannot be used again, even with its cookie and verifier", async () => {
      const { browser, id, request } = await start();
      assert.equal((await consentApp.accept(id, { subject: "u", grantScopes: ["openid"] })).status, 204);
      const snapshot = browser.snapshot();
      const first = await browser.get(request.redirectUrl);
      assert.ok(responseParams(first, "query").get("code"));
      assert.ok(
        first.headers.getSetCookie().some((cookie) => /Max-Age=0/.test(cookie)),
        "the binding cookie is cleared",
      );
      browser.restore(snapshot);
      expectError(await browser.get(request.redirectUrl), "invalid_request");
    });

    test("returning before the decision, with an unknown id, for another client, or with changed parameters", async () => {
      const pending = await start();
      expectError(await pending.browser.get(pending.request.redirectUrl), "invalid_request");

      const unknown = new URL(pending.request.redirectUrl);
      unknown.searchParams.set("consent", "unknown-consent-id");
      expectError(await new Browser().get(unknown.href), "invalid_request");

      const mine = await start();
      assert.equal((await consentApp.accept(mine.id, { subject: "u", grantScopes: ["openid"] })).status, 204);
      const verifier = new URL(mine.request.redirectUrl).searchParams.get("consent_verifier") as string;
      const forOther = `${portico.url}/oauth2/auth?${new URLSearchParams({
        ...params(other),
        consent: mine.id,
        consent_verifier: verifier,
      })}`;
      expectError(await mine.browser.get(forOther), "invalid_request");

      const widened = new URL(mine.request.redirectUrl);
      widened.searchParams.set("scope", "openid photos.read photos.write");
      expectError(await mine.browser.get(widened.href), "invalid_request");
    });

    test("accessTokenExtra reaches introspection as ext; idTokenExtra cannot replace registered claims", async () => {
      const browser = new Browser();
      const { challenge, verifier } = pkcePair();
      const { response } = await authorizeThrough(
        portico,
        consentApp,
        browser,
        params(web, { code_challenge: challenge, code_challenge_method: "S256" }),
        {
          subject: "carol",
          accessTokenExtra: { plan: "gold", nested: { a: 1 } },
          idTokenExtra: {
            email: "carol@example.com",
            sub: "admin",
            exp: 99999999999,
            nonce: "forged",
            auth_time: 1,
          },
        },
      );
      const code = responseParams(response, "query").get("code") as string;
      const tokens = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, redirect_uri: web.redirectUri, code_verifier: verifier },
        credentialsOf(web),
      );
      const claims = await verifyIdToken(portico, tokens.json.id_token as string, {
        clientId: web.id,
        subject: "carol",
        nonce: "nonce-123",
        accessToken: tokens.json.access_token as string,
      });
      assert.equal(claims.email, "carol@example.com");
      assert.ok((claims.exp as number) < 99999999999);
      assert.notEqual(claims.auth_time, 1);
      const introspected = await postForm(
        portico,
        "/oauth2/introspect",
        { token: tokens.json.access_token as string },
        credentialsOf(web),
      );
      assert.deepEqual(introspected.json.ext, { plan: "gold", nested: { a: 1 } });
    });
  });
}

describe("lifespans: CHALLENGE_TOKEN_LIFESPAN, AUTH_CODE_LIFESPAN, ACCESS_TOKEN_LIFESPAN, REFRESH_TOKEN_LIFESPAN", () => {
  let portico: Portico;
  let consentApp: ConsentApp;
  let web: TestClient;

  before(async () => {
    portico = await startOAuth2Portico({
      env: {
        CHALLENGE_TOKEN_LIFESPAN: "2s",
        AUTH_CODE_LIFESPAN: "2s",
        ACCESS_TOKEN_LIFESPAN: "2s",
        REFRESH_TOKEN_LIFESPAN: "2s",
      },
    });
    consentApp = await ConsentApp.for(portico, { freshTokens: true });
    web = await registerClient(portico, {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      scope: "openid offline",
    });
  });
  after(() => portico.stop());

  /** Waits until the server's clock has passed `at` (the server and the test share one clock). */
  const until = async (at: number) => sleep(Math.max(0, at - Date.now()) + 100);

  async function start() {
    const browser = new Browser();
    const id = consentIdOf(
      await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: web.id,
          redirect_uri: web.redirectUri,
          scope: "openid offline",
          state: "state-123",
        })}`,
      ),
    );
    return { browser, id, request: await consentApp.request(id) };
  }

  test("an expired consent request: 410 from the API, invalid_request at /oauth2/auth", async () => {
    const { id, request } = await start();
    const accepted = await start();
    assert.equal(
      (await consentApp.accept(accepted.id, { subject: "u", grantScopes: ["openid"] })).status,
      204,
    );
    await until(Math.max(Date.parse(request.expiresAt), Date.parse(accepted.request.expiresAt)));
    await apiError(await consentApp.get(id), 410);
    await apiError(await consentApp.accept(id, { subject: "u" }), 410);
    await apiError(await consentApp.reject(id), 410);
    const back = responseParams(await accepted.browser.get(accepted.request.redirectUrl), "query");
    assert.equal(back.get("error"), "invalid_request", "an accepted request expires too");
    assert.equal(back.get("state"), "state-123");
  });

  test("an expired code is invalid_grant; expired access and refresh tokens are inactive and refused", async () => {
    const { browser, id, request } = await start();
    assert.equal(
      (await consentApp.accept(id, { subject: "u", grantScopes: ["openid", "offline"] })).status,
      204,
    );
    const first = responseParams(await browser.get(request.redirectUrl), "query").get("code") as string;
    const codeIssued = Date.now();
    // A second code to redeem at once, for tokens that then expire.
    const second = await start();
    assert.equal(
      (await consentApp.accept(second.id, { subject: "u", grantScopes: ["openid", "offline"] })).status,
      204,
    );
    const code = responseParams(await second.browser.get(second.request.redirectUrl), "query").get(
      "code",
    ) as string;
    const tokens = await postForm(
      portico,
      "/oauth2/token",
      { grant_type: "authorization_code", code, redirect_uri: web.redirectUri },
      credentialsOf(web),
    );
    assert.equal(tokens.status, 200);
    assert.equal(tokens.json.expires_in, 2);
    const tokensIssued = Date.now();

    await until(Math.max(codeIssued, tokensIssued) + 2000);
    const expired = await postForm(
      portico,
      "/oauth2/token",
      { grant_type: "authorization_code", code: first, redirect_uri: web.redirectUri },
      credentialsOf(web),
    );
    assert.equal(expired.json.error, "invalid_grant");
    const introspected = await postForm(
      portico,
      "/oauth2/introspect",
      { token: tokens.json.access_token as string },
      credentialsOf(web),
    );
    assert.equal(introspected.text, '{"active":false}');
    const refreshed = await postForm(
      portico,
      "/oauth2/token",
      { grant_type: "refresh_token", refresh_token: tokens.json.refresh_token as string },
      credentialsOf(web),
    );
    assert.equal(refreshed.json.error, "invalid_grant");
  });
});

describe("two instances on one database serve one flow", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let a: Portico;
  let b: Portico;

  const root = { id: "lb-root", secret: "lb-root-secret-0123456789" };

  before(async () => {
    database = await freshDatabase("sqlite");
    const env = { FORCE_ROOT_CLIENT_CREDENTIALS: `${root.id}:${root.secret}` };
    a = await startOAuth2Portico({ databaseUrl: database.url, env });
    // Same database, secrets and public ISSUER, as behind a load balancer.
    b = await startOAuth2Portico({ databaseUrl: database.url, env: { ...env, ISSUER: a.url } });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  test("auth on A, consent through B, back on B, code redeemed on A", async () => {
    const web = await registerClient(
      a,
      { grant_types: ["authorization_code"], response_types: ["code"], scope: "openid" },
      await b.tokenFor(root.id, root.secret, "hydra.clients"),
    );
    const onB = (url: string) => url.replace(a.url, b.url);
    const browser = new Browser();
    const { challenge, verifier } = pkcePair();
    const id = consentIdOf(
      await browser.get(
        `${a.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: web.id,
          redirect_uri: web.redirectUri,
          scope: "openid",
          state: "lb",
          nonce: "lb-nonce",
          code_challenge: challenge,
          code_challenge_method: "S256",
        })}`,
      ),
    );
    const consentOnB = await ConsentApp.for(b);
    const request: ConsentRequestWire = await consentOnB.request(id);
    assert.ok(request.redirectUrl.startsWith(`${a.url}/oauth2/auth?`), "redirectUrl is built from ISSUER");
    assert.equal((await consentOnB.accept(id, { subject: "lb-user", grantScopes: ["openid"] })).status, 204);
    const back = responseParams(await browser.get(onB(request.redirectUrl)), "query");
    assert.equal(back.get("state"), "lb");
    const tokens = await postForm(
      a,
      "/oauth2/token",
      {
        grant_type: "authorization_code",
        code: back.get("code") as string,
        code_verifier: verifier,
        redirect_uri: web.redirectUri,
      },
      credentialsOf(web),
    );
    assert.equal(tokens.status, 200, tokens.text);
    await verifyIdToken(a, tokens.json.id_token as string, {
      clientId: web.id,
      subject: "lb-user",
      nonce: "lb-nonce",
      accessToken: tokens.json.access_token as string,
    });
    const onOther = await postForm(
      b,
      "/oauth2/introspect",
      { token: tokens.json.access_token as string },
      credentialsOf(web),
    );
    assert.equal(onOther.json.active, true);
  });
});
