/**
 * Every response type besides `code`: the implicit and hybrid flows, in the
 * fragment (OAuth 2.0 Multiple Response Types), with openid-client and
 * oauth4webapi where they implement the flow and strict jose checks of every
 * ID token, at_hash and c_hash. Also response_mode, on every backend.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oauth from "oauth4webapi";
import * as oidc from "openid-client";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  credentialsOf,
  pkcePair,
  postForm,
  randomValue,
  registerClient,
  relyingParty,
  responseParams,
  startOAuth2Portico,
  type TestClient,
  verifyIdToken,
} from "./support.ts";

for (const backend of BACKENDS) {
  describe(`implicit and hybrid flows (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let app: TestClient;
    let as: oauth.AuthorizationServer;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      app = await registerClient(portico, {
        grant_types: ["authorization_code", "implicit", "refresh_token"],
        response_types: ["code", "token", "id_token"],
        scope: "openid offline api",
      });
      as = await oauth.processDiscoveryResponse(
        new URL(portico.url),
        await oauth.discoveryRequest(new URL(portico.url), { [oauth.allowInsecureRequests]: true }),
      );
    });
    after(() => portico.stop());

    const introspect = async (token: string) =>
      (await postForm(portico, "/oauth2/introspect", { token }, credentialsOf(app))).json;

    async function run(params: Record<string, string>, grant: Record<string, unknown> = {}) {
      const state = randomValue();
      const nonce = randomValue();
      const { response } = await authorizeThrough(
        portico,
        consentApp,
        new Browser(),
        { client_id: app.id, redirect_uri: app.redirectUri, scope: "openid api", state, nonce, ...params },
        { subject: "bob", ...grant },
      );
      return { response, state, nonce };
    }

    test("token: an access token in the fragment, no refresh token, no ID token", async () => {
      const { response, state } = await run({ response_type: "token", scope: "api offline" });
      const back = responseParams(response, "fragment");
      assert.equal(back.get("state"), state);
      assert.equal(back.get("iss"), portico.url);
      assert.equal(back.get("token_type"), "bearer");
      assert.equal(back.get("expires_in"), "3600");
      assert.equal(back.get("scope"), "api offline");
      assert.equal(back.get("refresh_token"), null, "never a refresh token from the authorization endpoint");
      assert.equal(back.get("id_token"), null);
      assert.equal(back.get("code"), null);
      const seen = await introspect(back.get("access_token") as string);
      assert.equal(seen.active, true);
      assert.equal(seen.sub, "bob");
    });

    test("id_token: openid-client's implicit authentication accepts it", async () => {
      const config = await relyingParty(portico, app, "basic", [oidc.useIdTokenResponseType]);
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: app.redirectUri,
        scope: "openid",
        nonce,
        state,
      });
      const browser = new Browser();
      const started = await browser.get(url.href);
      const id = new URL(started.headers.get("location") ?? "").searchParams.get("consent") ?? "";
      const consent = await consentApp.request(id);
      assert.equal((await consentApp.accept(id, { subject: "bob", grantScopes: ["openid"] })).status, 204);
      const back = await browser.get(consent.redirectUrl);
      const location = new URL(back.headers.get("location") ?? "");
      const claims = await oidc.implicitAuthentication(config, location, nonce, { expectedState: state });
      assert.equal(claims.sub, "bob");
      const params = responseParams(back, "fragment");
      assert.equal(params.get("access_token"), null);
      await verifyIdToken(portico, params.get("id_token") as string, {
        clientId: app.id,
        subject: "bob",
        nonce,
      });
    });

    test("id_token token: the ID token carries at_hash of the access token", async () => {
      const { response, state, nonce } = await run({ response_type: "id_token token" });
      const back = responseParams(response, "fragment");
      assert.equal(back.get("state"), state);
      const accessToken = back.get("access_token") as string;
      assert.ok(accessToken);
      await verifyIdToken(portico, back.get("id_token") as string, {
        clientId: app.id,
        subject: "bob",
        nonce,
        accessToken,
      });
      assert.equal((await introspect(accessToken)).active, true);
    });

    test("code id_token: openid-client's hybrid flow, c_hash, then the code at the token endpoint", async () => {
      const config = await relyingParty(portico, app, "basic", [oidc.useCodeIdTokenResponseType]);
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const pkce = pkcePair();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: app.redirectUri,
        scope: "openid offline",
        nonce,
        state,
        code_challenge: pkce.challenge,
        code_challenge_method: "S256",
      });
      assert.equal(url.searchParams.get("response_type"), "code id_token");
      const browser = new Browser();
      const started = await browser.get(url.href);
      const id = new URL(started.headers.get("location") ?? "").searchParams.get("consent") ?? "";
      const consent = await consentApp.request(id);
      assert.equal(
        (await consentApp.accept(id, { subject: "bob", grantScopes: consent.requestedScopes })).status,
        204,
      );
      const back = await browser.get(consent.redirectUrl);
      const params = responseParams(back, "fragment");
      await verifyIdToken(portico, params.get("id_token") as string, {
        clientId: app.id,
        subject: "bob",
        nonce,
        code: params.get("code") as string,
      });
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get("location") ?? ""), {
        expectedNonce: nonce,
        expectedState: state,
        pkceCodeVerifier: pkce.verifier,
      });
      assert.ok(tokens.refresh_token);
      await verifyIdToken(portico, tokens.id_token as string, {
        clientId: app.id,
        subject: "bob",
        nonce,
        accessToken: tokens.access_token,
      });
    });

    test("code token: a code and an access token in the fragment; the code redeems once", async () => {
      const pkce = pkcePair();
      const { response, state, nonce } = await run({
        response_type: "code token",
        code_challenge: pkce.challenge,
        code_challenge_method: "S256",
      });
      const back = responseParams(response, "fragment");
      assert.equal(back.get("id_token"), null);
      const accessToken = back.get("access_token") as string;
      assert.equal((await introspect(accessToken)).active, true);
      const client: oauth.Client = { client_id: app.id };
      const auth = oauth.ClientSecretBasic(app.secret as string);
      const callback = oauth.validateAuthResponse(as, client, back, state);
      const tokenResponse = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        callback,
        app.redirectUri,
        pkce.verifier,
        { [oauth.allowInsecureRequests]: true },
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenResponse, {
        expectedNonce: nonce,
      });
      assert.notEqual(tokens.access_token, accessToken);
      // Replaying the code revokes what both the authorization and the token endpoint issued.
      const replay = await postForm(
        portico,
        "/oauth2/token",
        {
          grant_type: "authorization_code",
          code: back.get("code") as string,
          redirect_uri: app.redirectUri,
          code_verifier: pkce.verifier,
        },
        credentialsOf(app),
      );
      assert.equal(replay.json.error, "invalid_grant");
      assert.deepEqual(await introspect(accessToken), { active: false });
      assert.deepEqual(await introspect(tokens.access_token), { active: false });
    });

    test("code id_token token: oauth4webapi checks c_hash and the signature; at_hash checked too", async () => {
      const pkce = pkcePair();
      const { response, state, nonce } = await run({
        response_type: "id_token code token",
        code_challenge: pkce.challenge,
        code_challenge_method: "S256",
      });
      const back = responseParams(response, "fragment");
      const client: oauth.Client = { client_id: app.id };
      const validated = await oauth.validateCodeIdTokenResponse(as, client, back, nonce, state, undefined, {
        [oauth.allowInsecureRequests]: true,
      });
      assert.equal(validated.get("code"), back.get("code"));
      await verifyIdToken(portico, back.get("id_token") as string, {
        clientId: app.id,
        subject: "bob",
        nonce,
        code: back.get("code") as string,
        accessToken: back.get("access_token") as string,
      });
    });

    test("response_mode: fragment is honoured for code; query is refused for tokens (sent in the fragment)", async () => {
      const pkce = pkcePair();
      const { response, state } = await run({
        response_type: "code",
        response_mode: "fragment",
        code_challenge: pkce.challenge,
        code_challenge_method: "S256",
      });
      const back = responseParams(response, "fragment");
      assert.equal(back.get("state"), state);
      assert.ok(back.get("code"));

      const refused = await new Browser().get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "id_token token",
          response_mode: "query",
          client_id: app.id,
          redirect_uri: app.redirectUri,
          scope: "openid",
          nonce: "n",
          state: "query-refused",
        })}`,
      );
      const error = responseParams(refused, "fragment");
      assert.equal(error.get("error"), "invalid_request");
      assert.equal(error.get("state"), "query-refused");

      const unknownMode = await new Browser().get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "code",
          response_mode: "web_message",
          client_id: app.id,
          redirect_uri: app.redirectUri,
          state: "web-message",
        })}`,
      );
      assert.equal(responseParams(unknownMode, "query").get("error"), "invalid_request");
    });

    test("an ID token response needs openid granted: access_denied when the user unticked it", async () => {
      const { response, state } = await run({ response_type: "id_token token" }, { grantScopes: ["api"] });
      const back = responseParams(response, "fragment");
      assert.equal(back.get("error"), "access_denied");
      assert.equal(back.get("state"), state);
      assert.equal(back.get("access_token"), null);
    });

    test("a rejected hybrid request: access_denied in the fragment, with state", async () => {
      const state = randomValue();
      const { response } = await authorizeThrough(
        portico,
        consentApp,
        new Browser(),
        {
          response_type: "code id_token",
          client_id: app.id,
          redirect_uri: app.redirectUri,
          scope: "openid",
          state,
          nonce: "n",
        },
        "reject",
      );
      const back = responseParams(response, "fragment");
      assert.equal(back.get("error"), "access_denied");
      assert.equal(back.get("state"), state);
      assert.equal(back.get("iss"), portico.url);
    });
  });
}
