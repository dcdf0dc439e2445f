/**
 * OpenID Connect at /oauth2/auth over real HTTP, on every backend, with
 * openid-client as the relying party and the test playing the consent app
 * through the 2017 consent API and its additions: POST requests, prompt,
 * max_age, id_token_hint, login_hint, ui_locales, acr_values, the sign-in
 * an acceptance reports (auth_time, amr, acr, sid) and offline_access.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateKeyPair, SignJWT } from "jose";
import * as oidc from "openid-client";
import {
  Browser,
  ConsentApp,
  consentIdOf,
  credentialsOf,
  pkcePair,
  postForm,
  randomValue,
  registerClient,
  relyingParty,
  responseParams,
  sleep,
  startOAuth2Portico,
  type TestClient,
  verifyIdToken,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

/** Long enough for a flow on a busy machine, short enough to wait out for the expired-hint case. */
const ID_TOKEN_LIFESPAN_S = 6;

for (const backend of BACKENDS) {
  describe(`OpenID Connect authorization requests (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let web: TestClient;
    let other: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { ID_TOKEN_LIFESPAN: `${ID_TOKEN_LIFESPAN_S}s` } });
      consentApp = await ConsentApp.for(portico);
      web = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline profile",
      });
      other = await registerClient(portico, { grant_types: ["authorization_code"], scope: "openid" });
    });
    after(() => portico.stop());

    function authParams(extra: Record<string, string> = {}): Record<string, string> {
      return {
        response_type: "code",
        client_id: web.id,
        redirect_uri: web.redirectUri,
        scope: "openid offline profile",
        state: randomValue(),
        nonce: randomValue(),
        ...extra,
      };
    }

    /** Starts a request in a new browser and answers the consent request's id and its wire body. */
    async function start(extra: Record<string, string> = {}, browser = new Browser()) {
      const params = authParams(extra);
      const response = await browser.get(`${portico.url}/oauth2/auth?${new URLSearchParams(params)}`);
      const id = consentIdOf(response);
      const wire = (await consentApp.request(id)) as unknown as Record<string, unknown>;
      return { id, wire, browser, params };
    }

    /** Accepts and comes back: the code, then the tokens through openid-client with every check it makes. */
    async function finish(
      started: Awaited<ReturnType<typeof start>>,
      acceptance: Record<string, unknown>,
      checks: { maxAge?: number } = {},
    ) {
      const { id, wire, browser, params } = started;
      const accepted = await consentApp.accept(id, {
        subject: "user-1",
        grantScopes: wire.requestedScopes,
        ...acceptance,
      });
      assert.equal(accepted.status, 204, await accepted.clone().text());
      const back = await browser.get(wire.redirectUrl as string);
      const location = new URL(back.headers.get("location") ?? "");
      const config = await relyingParty(portico, web);
      const tokens = await oidc.authorizationCodeGrant(config, location, {
        expectedState: params.state,
        expectedNonce: params.nonce,
        ...(checks.maxAge !== undefined ? { maxAge: checks.maxAge } : {}),
      });
      const claims = tokens.claims();
      assert.ok(claims);
      return { tokens, claims, config };
    }

    test("POST /oauth2/auth is checked and answered exactly like GET", async () => {
      const browser = new Browser();
      const params = authParams();
      const posted = await browser.post(`${portico.url}/oauth2/auth`, params);
      const id = consentIdOf(posted);
      const wire = await consentApp.request(id);
      assert.deepEqual(wire.requestedScopes, ["openid", "offline", "profile"]);
      assert.ok(wire.redirectUrl.includes(`state=${params.state}`), "the return leg carries the request");
      await consentApp.accept(id, { subject: "user-1", grantScopes: wire.requestedScopes });
      const back = await browser.get(wire.redirectUrl);
      const answer = responseParams(back, "query");
      assert.equal(answer.get("state"), params.state);
      assert.ok(answer.get("code"));

      // Errors too: the same check, the same redirect with state.
      const bad = await new Browser().post(`${portico.url}/oauth2/auth`, { ...params, prompt: "bogus" });
      const error = responseParams(bad, "query");
      assert.equal(error.get("error"), "invalid_request");
      assert.equal(error.get("state"), params.state);
      // Before the client is verified: an error page, never a redirect.
      const unknown = await new Browser().post(`${portico.url}/oauth2/auth`, {
        ...params,
        client_id: "nope",
      });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.headers.get("location"), null);
      assert.match(await unknown.text(), /invalid_client/);
      // Only a form body.
      const json = await fetch(`${portico.url}/oauth2/auth`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(params),
        redirect: "manual",
      });
      assert.equal(json.status, 400);
      assert.match(await json.text(), /x-www-form-urlencoded/);
      // A parameter sent twice in the body is refused like one sent twice in the query.
      const twice = new URLSearchParams(params);
      twice.append("scope", "openid");
      const repeated = await new Browser().post(`${portico.url}/oauth2/auth`, twice);
      assert.equal(responseParams(repeated, "query").get("error"), "invalid_request");
    });

    // A malformed ui_locales is not among them: it is a preference, and its bad tags are left out
    // (tests/oidc/conformance-s9.test.ts).
    test("bad prompt, max_age, hints and acr values: invalid_request to the client with state", async () => {
      const cases: Array<[string, Record<string, string>]> = [
        ["an unknown prompt", { prompt: "login bogus" }],
        ["none with another value", { prompt: "none login" }],
        ["a negative max_age", { max_age: "-1" }],
        ["a non-numeric max_age", { max_age: "soon" }],
        ["a fractional max_age", { max_age: "1.5" }],
        ["a malformed id_token_hint", { id_token_hint: "not.a.jwt" }],
        ["a long login_hint", { login_hint: "x".repeat(513) }],
        ["a malformed acr_values", { acr_values: `${"a".repeat(256)}` }],
      ];
      for (const [name, extra] of cases) {
        const params = authParams(extra);
        const response = await new Browser().get(`${portico.url}/oauth2/auth?${new URLSearchParams(params)}`);
        const answer = responseParams(response, "query");
        assert.equal(answer.get("error"), "invalid_request", name);
        assert.equal(answer.get("state"), params.state, name);
        assert.equal(answer.get("code"), null, name);
      }
    });

    test("a plain request's consent request reads exactly as in 2017; the additions come only when sent", async () => {
      const plain = await start();
      assert.deepEqual(Object.keys(plain.wire).sort(), [
        "audience",
        "expiresAt",
        "id",
        "redirectUrl",
        "requestedScopes",
      ]);
      const rich = await start({
        prompt: "login consent",
        max_age: "300",
        login_hint: "ann@example.com",
        ui_locales: "de-CH en",
        acr_values: "urn:mace:incommon:iap:silver 2",
      });
      assert.deepEqual(rich.wire.prompt, ["login", "consent"]);
      assert.equal(rich.wire.maxAge, 300);
      assert.equal(rich.wire.loginHint, "ann@example.com");
      assert.deepEqual(rich.wire.uiLocales, ["de-CH", "en"]);
      assert.deepEqual(rich.wire.acrValues, ["urn:mace:incommon:iap:silver", "2"]);
      assert.ok(Date.parse(rich.wire.requestedAt as string) <= Date.now());
      const create = await start({ prompt: "create" });
      assert.deepEqual(create.wire.prompt, ["create"]);
    });

    test("prompt=none: the app's login_required and consent_required reach the client with state", async () => {
      for (const error of ["login_required", "consent_required"]) {
        const started = await start({ prompt: "none" });
        assert.deepEqual(started.wire.prompt, ["none"]);
        const rejected = await consentApp.reject(started.id, { reason: "prompt=none", error });
        assert.equal(rejected.status, 204);
        const back = await started.browser.get(started.wire.redirectUrl as string);
        const answer = responseParams(back, "query");
        assert.equal(answer.get("error"), error);
        assert.equal(answer.get("state"), started.params.state);
        assert.equal(answer.get("code"), null);
      }
      // A 2017 rejection is still access_denied; an unknown error is a 400 that decides nothing.
      const plain = await start({ prompt: "none" });
      const bogus = await consentApp.reject(plain.id, { reason: "x", error: "server_error" });
      assert.equal(bogus.status, 400);
      assert.equal((await consentApp.reject(plain.id, { reason: "no" })).status, 204);
      const denied = await plain.browser.get(plain.wire.redirectUrl as string);
      assert.equal(responseParams(denied, "query").get("error"), "access_denied");
    });

    test("prompt=none with a signed-in person and a decision: tokens without any page", async () => {
      const authTime = new Date(Date.now() - 60_000);
      const started = await start({ prompt: "none" });
      const { claims } = await finish(started, { authTime: authTime.toISOString(), amr: ["pwd"] });
      assert.equal(claims.auth_time, Math.floor(authTime.getTime() / 1000));
    });

    test("auth_time is the sign-in's time, never the consent's; amr, acr and sid travel into every ID token", async () => {
      const authTime = new Date(Date.now() - 3_600_000);
      const sid = randomValue();
      const started = await start();
      const { tokens, claims, config } = await finish(started, {
        authTime: authTime.toISOString(),
        amr: ["pwd"],
        acr: "urn:portico:password",
        sid,
      });
      assert.equal(claims.auth_time, Math.floor(authTime.getTime() / 1000));
      assert.deepEqual(claims.amr, ["pwd"]);
      assert.equal(claims.acr, "urn:portico:password");
      assert.equal(claims.sid, sid);
      await verifyIdToken(portico, tokens.id_token as string, {
        clientId: web.id,
        subject: "user-1",
        nonce: started.params.nonce,
        accessToken: tokens.access_token,
      });
      // A refresh keeps the sign-in the grant rests on.
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      const again = refreshed.claims();
      assert.equal(again?.auth_time, claims.auth_time);
      assert.deepEqual(again?.amr, ["pwd"]);
      assert.equal(again?.sid, sid);
      // idTokenExtra cannot forge them.
      const forged = await start();
      const { claims: safe } = await finish(forged, {
        authTime: authTime.toISOString(),
        idTokenExtra: { sid: "forged", amr: ["hwk"], auth_time: 1 },
      });
      assert.equal(safe.sid, undefined);
      assert.equal(safe.amr, undefined);
      assert.equal(safe.auth_time, Math.floor(authTime.getTime() / 1000));
    });

    test("prompt=login and max_age: only a sign-in recent enough is accepted; auth_time is that sign-in's", async () => {
      const cases: Array<Record<string, string>> = [{ prompt: "login" }, { max_age: "0" }, { max_age: "60" }];
      for (const extra of cases) {
        const started = await start(extra);
        const requestedAt = Date.parse(started.wire.requestedAt as string);
        assert.ok(requestedAt > 0, "the app learns when the request was made");
        const missing = await consentApp.accept(started.id, { subject: "user-1", grantScopes: ["openid"] });
        assert.equal(missing.status, 400, "authTime is required");
        const stale = new Date(requestedAt - (extra.max_age === "60" ? 120_000 : 5_000)).toISOString();
        const old = await consentApp.accept(started.id, {
          subject: "user-1",
          grantScopes: ["openid"],
          authTime: stale,
        });
        assert.equal(old.status, 400, "a sign-in older than the request allows");
        assert.match(await old.text(), /prompt=login or max_age/);
        const future = new Date(Date.now() + 3_600_000).toISOString();
        const ahead = await consentApp.accept(started.id, {
          subject: "user-1",
          grantScopes: ["openid"],
          authTime: future,
        });
        assert.equal(ahead.status, 400, "a sign-in in the future");
        const fresh = new Date(requestedAt + 1000);
        const maxAge = extra.max_age === undefined ? undefined : Number(extra.max_age) + 5;
        const { claims } = await finish(started, { authTime: fresh.toISOString(), amr: ["pwd"] }, { maxAge });
        assert.equal(claims.auth_time, Math.floor(fresh.getTime() / 1000));
      }
    });

    test("id_token_hint: one this issuer signed (expired too) names whom the app must have signed in", async () => {
      const first = await start();
      const { tokens } = await finish(first, { subject: "user-1", authTime: new Date().toISOString() });
      const hint = tokens.id_token as string;

      const hinted = await start({ id_token_hint: hint, prompt: "none" });
      assert.equal(hinted.wire.idTokenHintSubject, "user-1");
      const someoneElse = await consentApp.accept(hinted.id, {
        subject: "user-2",
        grantScopes: ["openid"],
        authTime: new Date().toISOString(),
      });
      assert.equal(someoneElse.status, 400, "only the hinted person may be accepted");
      await finish(hinted, { authTime: new Date().toISOString() });

      // For another client, or signed with another key: invalid_request, nothing stored.
      const forOther = await new Browser().get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: other.id,
          redirect_uri: other.redirectUri,
          scope: "openid",
          state: "s",
          id_token_hint: hint,
        })}`,
      );
      assert.equal(responseParams(forOther, "query").get("error"), "invalid_request");
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await new SignJWT({ sub: "user-1", aud: web.id, iss: portico.url })
        .setProtectedHeader({ alg: "RS256", kid: "public" })
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey);
      const refused = await new Browser().get(
        `${portico.url}/oauth2/auth?${new URLSearchParams(authParams({ id_token_hint: forged }))}`,
      );
      assert.equal(responseParams(refused, "query").get("error"), "invalid_request");
      const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(
        JSON.stringify({ sub: "user-1", aud: web.id, iss: portico.url }),
      ).toString("base64url")}.`;
      const none = await new Browser().get(
        `${portico.url}/oauth2/auth?${new URLSearchParams(authParams({ id_token_hint: unsigned }))}`,
      );
      assert.equal(responseParams(none, "query").get("error"), "invalid_request");

      await sleep((ID_TOKEN_LIFESPAN_S + 1) * 1000);
      const expired = await start({ id_token_hint: hint });
      assert.equal(expired.wire.idTokenHintSubject, "user-1", "an expired hint still names the person");
    });

    test("offline_access is offline: either or both bring a refresh token", async () => {
      for (const scope of ["openid offline_access", "openid offline offline_access"]) {
        const started = await start({ scope });
        const { tokens } = await finish(started, { authTime: new Date().toISOString() });
        assert.ok(tokens.refresh_token, scope);
        assert.equal(tokens.scope, scope);
      }
      // A client registered only for offline_access may ask for offline, too.
      const modern = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        scope: "openid offline_access",
      });
      const { verifier, challenge } = pkcePair();
      const browser = new Browser();
      const response = await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          client_id: modern.id,
          redirect_uri: modern.redirectUri,
          scope: "openid offline",
          state: "state-1",
          code_challenge: challenge,
          code_challenge_method: "S256",
        })}`,
      );
      const id = consentIdOf(response);
      const wire = await consentApp.request(id);
      await consentApp.accept(id, { subject: "user-1", grantScopes: wire.requestedScopes });
      const code = responseParams(await browser.get(wire.redirectUrl), "query").get("code") as string;
      const token = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: modern.redirectUri },
        credentialsOf(modern),
      );
      assert.equal(token.status, 200, token.text);
      assert.ok(token.json.refresh_token);
    });

    test("discovery lists the prompt values and the new claims", async () => {
      const document = (await (
        await fetch(`${portico.url}/.well-known/openid-configuration`)
      ).json()) as Record<string, string[]>;
      assert.deepEqual(document.prompt_values_supported, [
        "none",
        "login",
        "consent",
        "select_account",
        "create",
      ]);
      for (const claim of ["auth_time", "amr", "acr", "sid", "preferred_username", "updated_at"])
        assert.ok(document.claims_supported?.includes(claim));
      assert.ok(document.scopes_supported?.includes("offline_access"));
    });
  });
}
