/**
 * Hydra 2.x's access-token audience and OpenID Connect context, on every
 * backend: `audience` at /oauth2/auth is checked against the client's
 * registered audiences, the login and consent requests show it as
 * `requested_access_token_audience` with the whole `oidc_context`, and what
 * the consent grants (`grant_access_token_audience`) is the token's `aud` in
 * the 2.x introspection — while the 2017 introspection answers as before.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oidc from "openid-client";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { clientWithCode, failure, rawJson, sdk } from "@/tests/hydra2/support.ts";
import { Browser, relyingParty, startOAuth2Portico, type TestClient } from "@/tests/oauth2/support.ts";
import { BACKENDS, introspect, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const API_A = "https://api.example/a";
const API_B = "https://api.example/b";

function locationOf(response: Response): URL {
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  return new URL(response.headers.get("location") ?? "");
}

function challengeOf(response: Response, name: string): string {
  const challenge = locationOf(response).searchParams.get(name);
  assert.ok(challenge, `${name} is in the redirect`);
  return challenge;
}

for (const backend of BACKENDS) {
  describe(`Hydra 2.x access-token audience and oidc_context (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    let client: TestClient;
    let config: oidc.Configuration;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      api = sdk(portico);
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "rp-audience",
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid offline",
          audience: [API_A, API_B],
        },
      });
      client = { id: "rp-audience", secret: created.client_secret, redirectUri: "https://rp.example/cb" };
      config = await relyingParty(portico, client);
    });
    after(async () => {
      await portico?.stop();
    });

    async function authorize(browser: Browser, extra: Record<string, string>) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: "openid offline",
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        ...extra,
      });
      return { response: await browser.get(url.href), verifier, state };
    }

    test("audience and the OpenID Connect context reach the app; the granted audience is the token's aud", async () => {
      const browser = new Browser();
      const { response, verifier, state } = await authorize(browser, {
        audience: `${API_A} ${API_B}`,
        display: "popup",
        login_hint: "alice@example.com",
        ui_locales: "fr-CA en",
        acr_values: "urn:portico:pwd",
      });
      const loginChallenge = challengeOf(response, "login_challenge");
      const login = (await rawJson(await api.oauth2.getOAuth2LoginRequestRaw({ loginChallenge }))) as Record<
        string,
        unknown
      >;
      assertSchema("oAuth2LoginRequest", login);
      assert.deepEqual(login.requested_access_token_audience, [API_A, API_B]);
      assert.deepEqual(login.oidc_context, {
        acr_values: ["urn:portico:pwd"],
        ui_locales: ["fr-CA", "en"],
        display: "popup",
        login_hint: "alice@example.com",
      });

      const { redirect_to: loginDone } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "alice" },
      });
      const consentChallenge = challengeOf(await browser.get(loginDone), "consent_challenge");
      const consent = (await rawJson(
        await api.oauth2.getOAuth2ConsentRequestRaw({ consentChallenge }),
      )) as Record<string, unknown>;
      assertSchema("oAuth2ConsentRequest", consent);
      assert.deepEqual(consent.requested_access_token_audience, [API_A, API_B]);

      // Only the client's registered audiences may be granted; a refusal changes nothing.
      await assertError(
        await failure(
          api.oauth2.acceptOAuth2ConsentRequest({
            consentChallenge,
            acceptOAuth2ConsentRequest: {
              grant_scope: ["openid"],
              grant_access_token_audience: ["https://evil.example"],
            },
          }),
        ),
        400,
        "invalid_request",
      );
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: {
          grant_scope: ["openid", "offline"],
          grant_access_token_audience: [API_A],
        },
      });
      const tokens = await oidc.authorizationCodeGrant(config, locationOf(await browser.get(redirect_to)), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        idTokenExpected: true,
      });

      for (const token of [tokens.access_token, tokens.refresh_token as string]) {
        const introspected = (await rawJson(await api.oauth2.introspectOAuth2TokenRaw({ token }))) as Record<
          string,
          unknown
        >;
        assertSchema("introspectedOAuth2Token", introspected);
        assert.equal(introspected.active, true);
        assert.deepEqual(introspected.aud, [API_A]);
      }
      // The 2017 introspection is unchanged: its aud is the client.
      const old = (await introspect(portico, tokens.access_token)) as Record<string, unknown>;
      assert.equal(old.aud, client.id);

      // A refreshed access token keeps the grant's audience.
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      const again = await api.oauth2.introspectOAuth2Token({ token: refreshed.access_token });
      assert.deepEqual(again.aud, [API_A]);

      // The hint's claims, all of them, in the next request's oidc_context.
      const hinted = await authorize(new Browser(), {
        id_token_hint: tokens.id_token as string,
        prompt: "login",
      });
      const next = await api.oauth2.getOAuth2LoginRequest({
        loginChallenge: challengeOf(hinted.response, "login_challenge"),
      });
      const claims = next.oidc_context?.id_token_hint_claims as Record<string, unknown>;
      assert.equal(claims.sub, "alice");
      assert.equal(claims.iss, portico.url);
      assert.equal(claims.sid, tokens.claims()?.sid);
      assert.ok(claims.aud);
      assert.deepEqual(next.requested_access_token_audience, []);
    });

    test("a refresh whose grant holds an audience since taken from the client is invalid_request; nothing is used", async () => {
      const {
        client: withdrawn,
        config: rp,
        back,
        verifier,
        state,
      } = await clientWithCode(
        portico,
        {
          client_id: "rp-audience-withdrawn",
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid offline",
          audience: [API_A, API_B],
        },
        {
          params: { audience: API_A },
          login: { subject: "alice" },
          consent: { grant_scope: ["openid", "offline"], grant_access_token_audience: [API_A] },
        },
      );
      const tokens = await oidc.authorizationCodeGrant(rp, locationOf(back), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        idTokenExpected: true,
      });
      const setAudience = (audience: string[]) =>
        api.oauth2.patchOAuth2Client({
          id: withdrawn.id,
          jsonPatch: [{ op: "replace", path: "/audience", value: audience }],
        });
      const refresh = () =>
        fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${withdrawn.id}:${withdrawn.secret}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({
            grant_type: "refresh_token",
            refresh_token: tokens.refresh_token as string,
          }),
        });

      await setAudience([API_B]);
      const refused = await refresh();
      assert.equal(refused.status, 400);
      const body = (await refused.json()) as { error: string; error_description: string };
      assert.equal(body.error, "invalid_request");
      assert.match(body.error_description, /api\.example\/a/);

      await setAudience([API_A]);
      const allowed = await refresh();
      assert.equal(allowed.status, 200, await allowed.clone().text());
      const { access_token } = (await allowed.json()) as { access_token: string };
      const introspected = await api.oauth2.introspectOAuth2Token({ token: access_token });
      assert.deepEqual(introspected.aud, [API_A]);
    });

    test("a code whose grant holds an audience or scope taken from the client after the authorization is refused as a refresh; nothing is used", async () => {
      const {
        client: narrowed,
        back,
        verifier,
      } = await clientWithCode(
        portico,
        {
          client_id: "rp-audience-code",
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid offline email",
          audience: [API_A, API_B],
        },
        {
          params: { audience: API_A },
          login: { subject: "alice" },
          consent: { grant_scope: ["openid", "offline", "email"], grant_access_token_audience: [API_A] },
        },
      );
      const code = locationOf(back).searchParams.get("code") ?? "";
      assert.ok(code, "the authorization gave a code");
      const patch = (path: string, value: string | string[]) =>
        api.oauth2.patchOAuth2Client({ id: narrowed.id, jsonPatch: [{ op: "replace", path, value }] });
      const exchange = async () => {
        const response = await fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${narrowed.id}:${narrowed.secret}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code,
            redirect_uri: narrowed.redirectUri,
            code_verifier: verifier,
          }),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };

      // The admin takes the audience away between the authorization and the exchange.
      await patch("/audience", [API_B]);
      const noAudience = await exchange();
      assert.equal(noAudience.status, 400, JSON.stringify(noAudience.body));
      assert.equal(noAudience.body.error, "invalid_request");
      assert.match(String(noAudience.body.error_description), /api\.example\/a/);

      // Then a scope, with the audience given back.
      await patch("/audience", [API_A, API_B]);
      await patch("/scope", "openid offline");
      const noScope = await exchange();
      assert.equal(noScope.status, 400, JSON.stringify(noScope.body));
      assert.equal(noScope.body.error, "invalid_scope");
      assert.match(String(noScope.body.error_description), /email/);

      // Both allowed again: the refusals used nothing; the tokens carry the grant's scope and audience.
      await patch("/scope", "openid offline email");
      const allowed = await exchange();
      assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
      assert.equal(allowed.body.scope, "openid offline email");
      assert.ok(allowed.body.id_token, "an ID token: openid was granted");
      const introspected = await api.oauth2.introspectOAuth2Token({
        token: allowed.body.access_token as string,
      });
      assert.equal(introspected.active, true);
      assert.equal(introspected.scope, "openid offline email");
      assert.deepEqual(introspected.aud, [API_A]);
    });

    test("client_credentials: the requested audience is the token's aud in the 2.x introspection; the 2017 one is unchanged", async () => {
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "svc-audience",
          grant_types: ["client_credentials"],
          scope: "read",
          audience: [API_A, API_B],
        },
      });
      const secret = created.client_secret as string;
      const token = (form: Record<string, string>) =>
        fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`svc-audience:${secret}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ grant_type: "client_credentials", ...form }),
        });
      const audOf = async (form: Record<string, string>) => {
        const response = await token(form);
        assert.equal(response.status, 200, await response.clone().text());
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body.refresh_token, undefined, "no refresh token for client_credentials");
        const introspected = (await rawJson(
          await api.oauth2.introspectOAuth2TokenRaw({ token: body.access_token as string }),
        )) as Record<string, unknown>;
        assertSchema("introspectedOAuth2Token", introspected);
        assert.equal(introspected.active, true);
        assert.equal(introspected.sub, "svc-audience");
        // The 2017 introspection answers as ever: its aud is the client, whatever was requested.
        const old = (await introspect(portico, body.access_token as string)) as Record<string, unknown>;
        assert.deepEqual(Object.keys(old).sort(), [
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
        assert.equal(old.aud, "svc-audience");
        return introspected.aud;
      };

      assert.deepEqual(await audOf({ scope: "read", audience: `${API_A} ${API_B}` }), [API_A, API_B]);
      assert.deepEqual(await audOf({ audience: API_B }), [API_B]);
      assert.deepEqual(await audOf({ audience: `${API_A}  ${API_A} ` }), [API_A]);
      assert.deepEqual(await audOf({ scope: "read" }), []);

      // An audience the client did not register (whole strings: a longer path is another one):
      // invalid_request, and no token.
      for (const audience of [`${API_A} https://other.example`, `${API_A}/more`]) {
        const refused = await token({ audience });
        assert.equal(refused.status, 400);
        const body = (await refused.json()) as Record<string, unknown>;
        assert.equal(body.error, "invalid_request");
        assert.equal(body.access_token, undefined);
        assert.match(body.error_description as string, /has not been whitelisted/);
      }
    });

    test("an audience the client did not register is invalid_request at the client, before any login", async () => {
      const { response, state } = await authorize(new Browser(), {
        audience: `${API_A} https://other.example`,
      });
      const location = locationOf(response);
      assert.equal(`${location.origin}${location.pathname}`, client.redirectUri);
      assert.equal(location.searchParams.get("error"), "invalid_request");
      assert.match(location.searchParams.get("error_description") ?? "", /other\.example/);
      assert.equal(location.searchParams.get("state"), state);
    });
  });
}
