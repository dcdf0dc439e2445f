/**
 * Lifespans at the bounds the configuration takes, on both faces and both backends: a
 * CHALLENGE_TOKEN_LIFESPAN up to MAX_LIFESPAN (8760000h) is accepted at start, so the flows must
 * work with it. The cookies that bind a request to its browser carry the lifespan as Max-Age, which
 * a browser keeps at most 400 days (RFC 6265bis) and Hono refuses to write beyond: every
 * authorization request was a server_error, every 2.x sign-out a 500. At the other end, expiries
 * reach clients in whole seconds (`expires_in`, `exp`): a lifespan under a second made tokens that
 * went out expired, and one of 1.9s an access token introspection called active past its `exp`;
 * a refresh token, stored to the millisecond, stayed active and redeemable up to a second past the
 * `exp` the 2.x introspection gave it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oidc from "openid-client";
import { admin, challengeOf, sdk } from "@/tests/hydra2/support.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  offlineTokens,
  REFRESHING_CLIENT,
  refreshWith,
  registerClient,
  relyingParty,
  responseParams,
  sleep,
  startOAuth2Portico,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, basicAuth, type Portico, startPortico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const URLS_LOGOUT = "https://login.example/logout";
const LONGEST = "8760000h";
const FOUR_HUNDRED_DAYS_S = 400 * 24 * 3600;

/** The Max-Age of the cookie `prefix…` among a response's Set-Cookie lines. */
function maxAgeOf(response: Response, prefix: string): number | undefined {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(prefix));
  assert.ok(line, `a ${prefix} cookie is set: ${response.headers.getSetCookie().join(" | ")}`);
  const match = /;\s*Max-Age=(\d+)/i.exec(line);
  return match ? Number(match[1]) : undefined;
}

for (const backend of BACKENDS) {
  describe(`CHALLENGE_TOKEN_LIFESPAN=${LONGEST}, the 2017 face (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { CHALLENGE_TOKEN_LIFESPAN: LONGEST } });
    });
    after(() => portico.stop());

    test("an authorization request goes to the consent app and ends with a code; the binding cookie lives 400 days", async () => {
      const consentApp = await ConsentApp.for(portico);
      const client = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid",
      });
      const params = {
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: "state-123",
      };
      const first = await new Browser().get(`${portico.url}/oauth2/auth?${new URLSearchParams(params)}`);
      assert.equal(first.status, 302);
      assert.match(first.headers.get("location") ?? "", /^https:\/\/consent\.example\/consent\?consent=/);
      assert.equal(maxAgeOf(first, "portico_consent_"), FOUR_HUNDRED_DAYS_S);

      const { response, consent } = await authorizeThrough(portico, consentApp, new Browser(), params);
      assert.ok(Date.parse(consent.expiresAt) > Date.now() + 999 * 365 * 24 * 3_600_000, consent.expiresAt);
      const back = responseParams(response, "query");
      assert.equal(back.get("error"), null, back.get("error_description") ?? "");
      assert.ok(back.get("code"));
      assert.equal(back.get("state"), "state-123");
    });
  });

  describe(`CHALLENGE_TOKEN_LIFESPAN=${LONGEST}, the Hydra 2.x face (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({
        backend,
        env: { URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT, CHALLENGE_TOKEN_LIFESPAN: LONGEST },
      });
    });
    after(() => portico.stop());

    test("login, consent and sign-out go to the app; their binding cookies live 400 days", async () => {
      const api = sdk(portico);
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: `rp-longest-${backend}`,
          redirect_uris: ["https://rp.example/cb"],
          response_types: ["code"],
          scope: "openid",
        },
      });
      const config = await relyingParty(portico, {
        id: `rp-longest-${backend}`,
        secret: created.client_secret,
        redirectUri: "https://rp.example/cb",
      });
      const browser = new Browser();
      const started = await browser.get(
        oidc.buildAuthorizationUrl(config, { redirect_uri: "https://rp.example/cb", scope: "openid" }).href,
      );
      const loginChallenge = challengeOf(started, URLS_LOGIN, "login_challenge");
      assert.equal(maxAgeOf(started, "portico_consent_"), FOUR_HUNDRED_DAYS_S);
      const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "dora", remember: true },
      });
      challengeOf(await browser.get(redirect_to), URLS_CONSENT, "consent_challenge");

      const signOut = await browser.get(`${portico.url}/oauth2/sessions/logout`);
      const logoutChallenge = challengeOf(signOut, URLS_LOGOUT, "logout_challenge");
      assert.equal(maxAgeOf(signOut, "portico_logout_"), FOUR_HUNDRED_DAYS_S);
      const request = await api.oauth2.getOAuth2LogoutRequest({ logoutChallenge });
      assert.equal(request.subject, "dora");
    });
  });
}

test("a lifespan under a second is refused at start, naming the variable", async () => {
  // ID_TOKEN_LIFESPAN=500ms signed ID tokens whose exp was their iat: no relying party accepts one.
  await assert.rejects(async () => {
    const started = await startPortico({ env: { ID_TOKEN_LIFESPAN: "500ms" } });
    await started.stop();
  }, /ID_TOKEN_LIFESPAN must be at least 1s/);
});

for (const backend of BACKENDS) {
  describe(`ACCESS_TOKEN_LIFESPAN=2900ms (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startPortico({ backend, env: { ACCESS_TOKEN_LIFESPAN: "2900ms" } });
    });
    after(() => portico.stop());

    async function introspected(token: string): Promise<{ active: boolean; exp?: number; iat?: number }> {
      const response = await fetch(`${portico.url}/oauth2/introspect`, {
        method: "POST",
        headers: {
          authorization: basicAuth(portico.root.id, portico.root.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ token }),
      });
      assert.equal(response.status, 200);
      return (await response.json()) as { active: boolean; exp?: number; iat?: number };
    }

    test("an access token is inactive once its exp has come, as expires_in said", async () => {
      const response = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: basicAuth(portico.root.id, portico.root.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      });
      const body = (await response.json()) as { access_token: string; expires_in: number };
      assert.equal(response.status, 200);
      // Whole seconds, cut down (2.9 s is 2 s); two of them, so that a loaded machine still introspects in time.
      assert.equal(body.expires_in, 2);
      const first = await introspected(body.access_token);
      assert.equal(first.active, true);
      assert.equal((first.exp as number) - (first.iat as number), body.expires_in);
      // RFC 7519 §4.1.4: on or after exp the token is no longer accepted (the server and the test share one clock).
      await sleep(Math.max(0, (first.exp as number) * 1000 - Date.now()) + 50);
      assert.deepEqual(await introspected(body.access_token), { active: false });
    });
  });
}

for (const backend of BACKENDS) {
  describe(`REFRESH_TOKEN_LIFESPAN=3s (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { REFRESH_TOKEN_LIFESPAN: "3s" } });
    });
    after(() => portico.stop());

    test("a refresh token is inactive and refused once the exp the 2.x introspection gave it has come", async () => {
      const client = await registerClient(portico, { ...REFRESHING_CLIENT, scope: "openid offline" });
      const { refresh_token } = await offlineTokens(portico, client);
      const introspect = async () =>
        (await (
          await admin(portico, "/admin/oauth2/introspect", {
            method: "POST",
            body: new URLSearchParams({ token: refresh_token }).toString(),
            headers: { "content-type": "application/x-www-form-urlencoded" },
          })
        ).json()) as { active: boolean; exp?: number; iat?: number; token_use?: string };
      const first = await introspect();
      assert.equal(first.active, true);
      assert.equal(first.token_use, "refresh_token");
      assert.equal((first.exp as number) - (first.iat as number), 3);
      await sleep(Math.max(0, (first.exp as number) * 1000 - Date.now()) + 20);
      assert.deepEqual(await introspect(), { active: false });
      assert.equal((await refreshWith(portico, client, refresh_token)).json.error, "invalid_grant");
    });
  });
}
