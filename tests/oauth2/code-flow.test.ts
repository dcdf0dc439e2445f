/**
 * The authorization-code flow end to end with openid-client (the certified
 * RP library) as the client: PKCE, every client authentication method, ID
 * tokens, refresh rotation and reuse, introspection, revocation, and code
 * replay — on every backend.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oidc from "openid-client";
import { BACKENDS, introspect, type Portico } from "@/tests/support/server.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  credentialsOf,
  postForm,
  registerClient,
  relyingParty,
  responseParams,
  startOAuth2Portico,
  type TestClient,
  verifyIdToken,
} from "./support.ts";

for (const backend of BACKENDS) {
  describe(`authorization code flow (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let web: TestClient;
    let spa: TestClient;
    let other: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      web = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline profile api.*",
      });
      spa = await registerClient(portico, {
        public: true,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline",
      });
      other = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      });
    });
    after(() => portico.stop());

    /** A full flow through openid-client: the authorization URL, the browser, consent, the code grant. */
    async function codeFlow(
      client: TestClient,
      options: {
        auth?: "basic" | "post" | "none";
        scope?: string;
        grant?: Record<string, unknown>;
        /** Default: whether openid was requested. */
        expectIdToken?: boolean;
      } = {},
    ) {
      const config = await relyingParty(portico, client, options.auth ?? "basic");
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: options.scope ?? "openid offline",
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
      });
      const browser = new Browser();
      const started = await browser.get(url.href);
      const id = new URL(started.headers.get("location") ?? "").searchParams.get("consent") ?? "";
      const consent = await consentApp.request(id);
      const accepted = await consentApp.accept(id, {
        subject: "alice",
        grantScopes: consent.requestedScopes,
        ...options.grant,
      });
      assert.equal(accepted.status, 204);
      const back = await browser.get(consent.redirectUrl);
      assert.equal(back.status, 302);
      const callback = new URL(back.headers.get("location") ?? "");
      const expectIdToken =
        options.expectIdToken ?? (options.scope ?? "openid offline").split(" ").includes("openid");
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        ...(expectIdToken ? { expectedNonce: nonce, idTokenExpected: true } : {}),
      });
      return { config, tokens, callback, nonce, state, verifier, browser };
    }

    test("code + PKCE, client_secret_basic: tokens, a strictly valid ID token, claims from consent", async () => {
      const { tokens, nonce, callback } = await codeFlow(web, {
        scope: "openid offline profile api.read",
        grant: {
          idTokenExtra: { name: "Alice", iss: "https://evil.example", sub: "mallory", aud: "other" },
          accessTokenExtra: { tenant: "t1" },
        },
      });
      assert.equal(callback.origin + callback.pathname, web.redirectUri);
      assert.equal(callback.searchParams.get("iss"), portico.url, "RFC 9207 iss in the response");
      assert.equal(tokens.token_type, "bearer");
      assert.equal(tokens.scope, "openid offline profile api.read");
      assert.equal(tokens.expires_in, 3600);
      assert.ok(tokens.refresh_token, "offline was granted");
      const claims = await verifyIdToken(portico, tokens.id_token as string, {
        clientId: web.id,
        subject: "alice",
        nonce,
        accessToken: tokens.access_token,
      });
      assert.equal(claims.name, "Alice", "idTokenExtra is in the ID token");
      assert.equal(tokens.claims()?.sub, "alice");

      const introspection = await postForm(
        portico,
        "/oauth2/introspect",
        { token: tokens.access_token },
        credentialsOf(web),
      );
      assert.equal(introspection.status, 200);
      const body = introspection.json;
      assert.deepEqual(Object.keys(body).sort(), [
        "active",
        "aud",
        "client_id",
        "exp",
        "ext",
        "iat",
        "iss",
        "scope",
        "sub",
      ]);
      assert.equal(body.active, true);
      assert.equal(body.scope, "openid offline profile api.read");
      assert.equal(body.client_id, web.id);
      assert.equal(body.sub, "alice");
      assert.equal(body.iss, portico.url);
      assert.equal(body.aud, web.id, "aud is a string");
      assert.deepEqual(body.ext, { tenant: "t1" });
      assert.equal((body.exp as number) - (body.iat as number), 3600);
    });

    test("the ID token is issued only when openid was granted, the refresh token only with offline", async () => {
      const { tokens } = await codeFlow(web, {
        scope: "openid offline",
        grant: { grantScopes: ["offline"] },
        expectIdToken: false,
      });
      assert.equal(tokens.id_token, undefined);
      assert.ok(tokens.refresh_token);
      assert.equal(tokens.scope, "offline");
      const withoutOffline = await codeFlow(web, { scope: "openid profile" });
      assert.equal(withoutOffline.tokens.refresh_token, undefined);
      assert.ok(withoutOffline.tokens.id_token);
    });

    test("a public client: code + PKCE with client authentication none", async () => {
      const { tokens, nonce } = await codeFlow(spa, { auth: "none" });
      await verifyIdToken(portico, tokens.id_token as string, {
        clientId: spa.id,
        subject: "alice",
        nonce,
        accessToken: tokens.access_token,
      });
      const config = await relyingParty(portico, spa, "none");
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      assert.ok(refreshed.access_token);
    });

    test("client_secret_post", async () => {
      const { tokens } = await codeFlow(web, { auth: "post" });
      assert.ok(tokens.access_token);
    });

    test("refresh: rotated on every use; reusing a rotated token revokes the whole family", async () => {
      const { config, tokens, nonce } = await codeFlow(web);
      const first = tokens.refresh_token as string;
      const second = await oidc.refreshTokenGrant(config, first);
      assert.ok(second.refresh_token && second.refresh_token !== first, "a new refresh token");
      assert.notEqual(second.access_token, tokens.access_token);
      assert.equal(second.scope, "openid offline");
      const refreshedClaims = await verifyIdToken(portico, second.id_token as string, {
        clientId: web.id,
        subject: "alice",
        accessToken: second.access_token,
      });
      assert.equal(refreshedClaims.auth_time, tokens.claims()?.auth_time, "auth_time is the original one");
      assert.ok(nonce);
      const third = await oidc.refreshTokenGrant(config, second.refresh_token as string, {
        scope: "offline",
      });
      assert.equal(third.scope, "offline", "scope may narrow the new access token");
      assert.equal(third.id_token, undefined);

      const reused = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: first },
        credentialsOf(web),
      );
      assert.equal(reused.status, 400);
      assert.equal(reused.json.error, "invalid_grant");
      for (const access of [tokens.access_token, second.access_token, third.access_token]) {
        const introspected = await postForm(
          portico,
          "/oauth2/introspect",
          { token: access },
          credentialsOf(web),
        );
        assert.deepEqual(introspected.json, { active: false }, "every access token of the family is revoked");
      }
      const latest = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: third.refresh_token as string },
        credentialsOf(web),
      );
      assert.equal(latest.json.error, "invalid_grant", "the newest refresh token is revoked too");
    });

    test("refresh: widening the scope is invalid_scope; another client's token is invalid_grant", async () => {
      const { tokens } = await codeFlow(web, { scope: "openid offline" });
      const widened = await postForm(
        portico,
        "/oauth2/token",
        {
          grant_type: "refresh_token",
          refresh_token: tokens.refresh_token as string,
          scope: "openid profile",
        },
        credentialsOf(web),
      );
      assert.equal(widened.json.error, "invalid_scope");
      const stolen = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: tokens.refresh_token as string },
        credentialsOf(other),
      );
      assert.equal(stolen.json.error, "invalid_grant");
      const still = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: tokens.refresh_token as string },
        credentialsOf(web),
      );
      assert.equal(still.status, 200, "neither refusal used the token up");
    });

    test("refresh: a scope since taken from the client's registration is invalid_scope; nothing is used", async () => {
      const narrowing = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline api.read",
      });
      const { tokens } = await codeFlow(narrowing, { scope: "openid offline api.read" });
      const admin = await portico.rootToken("hydra.clients");
      const registered = (await (
        await portico.call(`/clients/${narrowing.id}`, { token: admin })
      ).json()) as Record<string, unknown>;
      const put = async (scope: string) => {
        const response = await portico.call(`/clients/${narrowing.id}`, {
          method: "PUT",
          token: admin,
          json: { ...registered, scope },
        });
        assert.equal(response.status, 200, await response.clone().text());
      };
      const refresh = () =>
        postForm(
          portico,
          "/oauth2/token",
          { grant_type: "refresh_token", refresh_token: tokens.refresh_token as string },
          credentialsOf(narrowing),
        );

      // The operator withdraws api.read: the refresh token no longer yields it, even narrowed away.
      await put("openid offline");
      const refused = await refresh();
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json.error, "invalid_scope");
      assert.match(String(refused.json.error_description), /api\.read/);
      const narrowed = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: tokens.refresh_token as string, scope: "openid" },
        credentialsOf(narrowing),
      );
      assert.equal(narrowed.json.error, "invalid_scope");

      // A wildcard covering it counts as allowing it; the refusals used nothing up.
      await put("openid offline api.*");
      const allowed = await refresh();
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal(allowed.json.scope, "openid offline api.read");
    });

    test("code: a scope taken from the client's registration after the authorization is invalid_scope, as a refresh; nothing is used", async () => {
      const narrowing = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline api.read",
      });
      const { response } = await authorizeThrough(
        portico,
        consentApp,
        new Browser(),
        {
          response_type: "code",
          client_id: narrowing.id,
          redirect_uri: narrowing.redirectUri,
          scope: "openid offline api.read",
          state: "state-of-the-narrowed-code",
          nonce: "nonce-of-the-narrowed-code",
        },
        { subject: "alice" },
      );
      const code = responseParams(response, "query").get("code") ?? "";
      assert.ok(code, "the authorization gave a code");
      const admin = await portico.rootToken("hydra.clients");
      const registered = (await (
        await portico.call(`/clients/${narrowing.id}`, { token: admin })
      ).json()) as Record<string, unknown>;
      const put = async (scope: string) => {
        const answer = await portico.call(`/clients/${narrowing.id}`, {
          method: "PUT",
          token: admin,
          json: { ...registered, scope },
        });
        assert.equal(answer.status, 200, await answer.clone().text());
      };
      const exchange = () =>
        postForm(
          portico,
          "/oauth2/token",
          { grant_type: "authorization_code", code, redirect_uri: narrowing.redirectUri },
          credentialsOf(narrowing),
        );

      // The operator withdraws api.read between the authorization and the exchange.
      await put("openid offline");
      const refused = await exchange();
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json.error, "invalid_scope");
      assert.match(String(refused.json.error_description), /api\.read/);
      assert.equal(refused.json.access_token, undefined);

      // Allowed again (a wildcard covers it): the refusal used nothing, the code still redeems once.
      await put("openid offline api.*");
      const allowed = await exchange();
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal(allowed.json.scope, "openid offline api.read");
      const claims = await verifyIdToken(portico, allowed.json.id_token as string, {
        clientId: narrowing.id,
        subject: "alice",
        nonce: "nonce-of-the-narrowed-code",
        accessToken: allowed.json.access_token as string,
      });
      assert.equal(claims.sub, "alice");
      const introspected = (await introspect(portico, allowed.json.access_token as string)) as Record<
        string,
        unknown
      >;
      assert.equal(introspected.active, true);
      assert.equal(introspected.scope, "openid offline api.read");
    });

    test("code replay: invalid_grant, and the tokens the first redemption issued are revoked", async () => {
      const { tokens, callback, verifier } = await codeFlow(web);
      const replay = await postForm(
        portico,
        "/oauth2/token",
        {
          grant_type: "authorization_code",
          code: callback.searchParams.get("code") as string,
          redirect_uri: web.redirectUri,
          code_verifier: verifier,
        },
        credentialsOf(web),
      );
      assert.equal(replay.status, 400);
      assert.equal(replay.json.error, "invalid_grant");
      const introspected = await postForm(
        portico,
        "/oauth2/introspect",
        { token: tokens.access_token },
        credentialsOf(web),
      );
      assert.deepEqual(introspected.json, { active: false });
      const refresh = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: tokens.refresh_token as string },
        credentialsOf(web),
      );
      assert.equal(refresh.json.error, "invalid_grant", "the refresh token is revoked with it");
    });

    /** Runs a flow up to the code, for token-endpoint negatives. */
    async function codeOnly(client: TestClient, extra: Record<string, string> = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: "s",
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        ...extra,
      });
      const code = new URL(response.headers.get("location") ?? "").searchParams.get("code") as string;
      return { code, verifier };
    }

    test("token endpoint: a parameter sent without a value counts as omitted (RFC 6749 §3.2)", async () => {
      // passport-oauth2 posts client_secret= for a public client: client authentication none.
      const pkce = await codeOnly(spa, { scope: "openid offline" });
      const exchanged = await postForm(portico, "/oauth2/token", {
        grant_type: "authorization_code",
        code: pkce.code,
        redirect_uri: spa.redirectUri,
        code_verifier: pkce.verifier,
        client_id: spa.id,
        client_secret: "",
      });
      assert.equal(exchanged.status, 200, exchanged.text);
      const refreshed = await postForm(portico, "/oauth2/token", {
        grant_type: "refresh_token",
        refresh_token: exchanged.json.refresh_token as string,
        client_id: spa.id,
        client_secret: "",
        scope: "",
      });
      assert.equal(refreshed.status, 200, refreshed.text);
      assert.equal(refreshed.json.scope, "openid offline");

      // HTTP Basic beside an empty client_secret is one method; an empty code_verifier is none.
      const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
        response_type: "code",
        client_id: web.id,
        redirect_uri: web.redirectUri,
        scope: "openid",
        state: "s",
      });
      const code = new URL(response.headers.get("location") ?? "").searchParams.get("code") as string;
      const basic = await postForm(
        portico,
        "/oauth2/token",
        {
          grant_type: "authorization_code",
          code,
          redirect_uri: web.redirectUri,
          client_secret: "",
          code_verifier: "",
        },
        credentialsOf(web),
      );
      assert.equal(basic.status, 200, basic.text);

      // Still no way around a requirement: an empty verifier is a missing one.
      const required = await codeOnly(web);
      const missing = await postForm(
        portico,
        "/oauth2/token",
        {
          grant_type: "authorization_code",
          code: required.code,
          redirect_uri: web.redirectUri,
          code_verifier: "",
        },
        credentialsOf(web),
      );
      assert.equal(missing.json.error, "invalid_grant");
      assert.match(String(missing.json.error_description), /code_verifier is required/);
    });

    test("token endpoint: wrong or missing PKCE verifier, wrong redirect_uri, another client — invalid_grant", async () => {
      const { code, verifier } = await codeOnly(web);
      const base = { grant_type: "authorization_code", code, redirect_uri: web.redirectUri };
      const cases: Array<[string, Record<string, string>, TestClient]> = [
        ["a wrong verifier", { ...base, code_verifier: oidc.randomPKCECodeVerifier() }, web],
        ["no verifier", base, web],
        [
          "another redirect_uri",
          { ...base, redirect_uri: "https://rp.example/other", code_verifier: verifier },
          web,
        ],
        ["no redirect_uri", { grant_type: "authorization_code", code, code_verifier: verifier }, web],
        ["another client", { ...base, code_verifier: verifier }, other],
      ];
      for (const [name, form, client] of cases) {
        const answer = await postForm(portico, "/oauth2/token", form, credentialsOf(client));
        assert.equal(answer.status, 400, name);
        assert.equal(answer.json.error, "invalid_grant", name);
        assert.equal(answer.headers.get("cache-control"), "no-store");
      }
      const good = await postForm(
        portico,
        "/oauth2/token",
        { ...base, code_verifier: verifier },
        credentialsOf(web),
      );
      assert.equal(good.status, 200, "the refusals did not use the code up");
    });

    test("a code issued without PKCE refuses a code_verifier (downgrade); redirect_uri may be omitted twice", async () => {
      const single = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid offline",
      });
      // A plain OAuth 2.0 request: an OpenID Connect one must name its redirect_uri.
      const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
        response_type: "code",
        client_id: single.id,
        scope: "offline",
        state: "no-pkce",
      });
      const location = new URL(response.headers.get("location") ?? "");
      assert.equal(location.origin + location.pathname, single.redirectUri, "the only registered URI");
      const code = location.searchParams.get("code") as string;
      const downgrade = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, code_verifier: oidc.randomPKCECodeVerifier() },
        credentialsOf(single),
      );
      assert.equal(downgrade.json.error, "invalid_grant");
      const ok = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code },
        credentialsOf(single),
      );
      assert.equal(ok.status, 200, ok.text);
    });

    test("a request without redirect_uri: the code is redeemed at the URI it went to, whatever the client registers meanwhile", async () => {
      const first = "https://rp.example/first/cb";
      const single = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid offline",
        redirect_uris: [first],
      });
      const admin = await portico.rootToken("hydra.clients");
      const registered = (await (
        await portico.call(`/clients/${single.id}`, { token: admin })
      ).json()) as Record<string, unknown>;
      const register = async (redirectUris: string[]) => {
        const response = await portico.call(`/clients/${single.id}`, {
          method: "PUT",
          token: admin,
          json: { ...registered, redirect_uris: redirectUris },
        });
        assert.equal(response.status, 200, await response.clone().text());
      };
      const codeWithout = async () => {
        const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
          response_type: "code",
          client_id: single.id,
          scope: "offline",
          state: "no-redirect-uri",
        });
        const location = new URL(response.headers.get("location") ?? "");
        assert.equal(location.origin + location.pathname, first);
        return location.searchParams.get("code") as string;
      };
      const redeem = (code: string, redirectUri?: string) =>
        postForm(
          portico,
          "/oauth2/token",
          { grant_type: "authorization_code", code, ...(redirectUri ? { redirect_uri: redirectUri } : {}) },
          credentialsOf(single),
        );

      // A second URI registered before the exchange: the one the code went to still redeems it.
      const repeated = await codeWithout();
      const omitted = await codeWithout();
      await register([first, "https://rp.example/second/cb"]);
      const other = await redeem(repeated, "https://rp.example/second/cb");
      assert.equal(other.status, 400);
      assert.equal(other.json.error, "invalid_grant", "not the URI the code went to");
      assert.equal((await redeem(repeated, first)).status, 200, "RFC 6749 §4.1.3: the same URI, repeated");
      assert.equal((await redeem(omitted)).status, 200, "left out, as the authorization request did");

      // Its only URI replaced: the new one is not where the code went.
      await register([first]);
      const replaced = await codeWithout();
      await register(["https://rp.example/third/cb"]);
      const third = await redeem(replaced, "https://rp.example/third/cb");
      assert.equal(third.json.error, "invalid_grant");
      assert.equal((await redeem(replaced, first)).status, 200, third.text);
    });

    test("a request that named redirect_uri: the token request must repeat it exactly", async () => {
      const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
        response_type: "code",
        client_id: other.id,
        redirect_uri: other.redirectUri,
        scope: "openid",
        state: "named",
      });
      const code = new URL(response.headers.get("location") ?? "").searchParams.get("code") as string;
      const redeem = (form: Record<string, string>) =>
        postForm(
          portico,
          "/oauth2/token",
          { grant_type: "authorization_code", code, ...form },
          credentialsOf(other),
        );
      const left = await redeem({});
      assert.equal(left.json.error, "invalid_grant");
      assert.match(String(left.json.error_description), /redirect_uri is required/);
      assert.equal((await redeem({ redirect_uri: `${other.redirectUri}/` })).json.error, "invalid_grant");
      assert.equal((await redeem({ redirect_uri: other.redirectUri })).status, 200);
    });

    test("introspection: scope field, refresh tokens, unknown tokens, authentication", async () => {
      const { tokens } = await codeFlow(web, { scope: "openid offline api.read" });
      const introspect = (form: Record<string, string>, credentials = credentialsOf(web)) =>
        postForm(portico, "/oauth2/introspect", form, credentials);
      assert.equal(
        (await introspect({ token: tokens.access_token, scope: "api.read openid" })).json.active,
        true,
      );
      const lacking = await introspect({ token: tokens.access_token, scope: "api.read api.write" });
      assert.equal(lacking.text, '{"active":false}', "exactly {active:false}");
      assert.equal((await introspect({ token: tokens.refresh_token as string })).text, '{"active":false}');
      assert.equal((await introspect({ token: "not-a-token" })).text, '{"active":false}');
      const anonymous = await postForm(portico, "/oauth2/introspect", { token: tokens.access_token });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.json.error, "invalid_client");
      const wrongSecret = await introspect({ token: tokens.access_token }, { id: web.id, secret: "wrong" });
      assert.equal(wrongSecret.status, 401);
      // openid-client agrees with the wire format.
      const config = await relyingParty(portico, web);
      const seen = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(seen.active, true);
      assert.equal(seen.sub, "alice");
    });

    test("revocation: access token alone; a refresh token takes its grant; others' and unknown tokens: 200, no effect", async () => {
      const config = await relyingParty(portico, web);
      const introspect = async (token: string) =>
        (await postForm(portico, "/oauth2/introspect", { token }, credentialsOf(web))).json.active;

      const a = await codeFlow(web);
      await oidc.tokenRevocation(config, a.tokens.access_token);
      assert.equal(await introspect(a.tokens.access_token), false);
      const stillRefreshes = await oidc.refreshTokenGrant(config, a.tokens.refresh_token as string);
      assert.ok(stillRefreshes.access_token, "revoking an access token leaves the refresh token");

      const b = await codeFlow(web);
      const byOther = await postForm(
        portico,
        "/oauth2/revoke",
        { token: b.tokens.access_token },
        credentialsOf(other),
      );
      assert.equal(byOther.status, 200);
      assert.equal(await introspect(b.tokens.access_token), true, "another client cannot revoke it");
      await oidc.tokenRevocation(config, b.tokens.refresh_token as string, {
        token_type_hint: "refresh_token",
      });
      assert.equal(await introspect(b.tokens.access_token), false, "the grant's access token is revoked");
      const refresh = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: b.tokens.refresh_token as string },
        credentialsOf(web),
      );
      assert.equal(refresh.json.error, "invalid_grant");

      const unknown = await postForm(portico, "/oauth2/revoke", { token: "unknown" }, credentialsOf(web));
      assert.equal(unknown.status, 200);
      const anonymous = await postForm(portico, "/oauth2/revoke", { token: "unknown" });
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.json.error, "invalid_client");

      const c = await codeFlow(spa, { auth: "none" });
      const publicRevoke = await postForm(portico, "/oauth2/revoke", {
        token: c.tokens.refresh_token as string,
        client_id: spa.id,
      });
      assert.equal(publicRevoke.status, 200);
      assert.equal(await introspect(c.tokens.access_token), false, "a public client revokes its own grant");
    });
  });
}
