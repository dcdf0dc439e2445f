/**
 * Sign-out in Hydra 2.x mode, on every backend: openid-client starts
 * RP-initiated logout, the tests play the login app's /logout page through
 * Ory's SDK (get, accept, reject the logout request), a Browser keeps the
 * cookies, and a local receiver checks the back-channel logout tokens — after
 * an accepted logout and after DELETE /admin/oauth2/auth/sessions/login. Every
 * bad challenge or verifier is a 4xx that ends nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, codeFlow, failure, LogoutReceiver, rawJson, sdk } from "@/tests/hydra2/support.ts";
import { Browser, relyingParty, sleep, startOAuth2Portico, type TestClient } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const URLS_LOGOUT = "https://login.example/logout";
const URLS_POST_LOGOUT_REDIRECT = "https://www.example/signed-out";
const URLS_ERROR = "https://login.example/error";
const EVENT = "http://schemas.openid.net/event/backchannel-logout";

function locationOf(response: Response): URL {
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  return new URL(response.headers.get("location") ?? "");
}

function challengeOf(response: Response, url: string, name: string): string {
  const location = locationOf(response);
  assert.equal(`${location.origin}${location.pathname}`, url);
  const challenge = location.searchParams.get(name);
  assert.ok(challenge, `${name} is in the redirect`);
  return challenge;
}

/** URLS_ERROR is set: an error the browser meets goes there, with Hydra's parameters. */
function errorOf(response: Response): string {
  const location = locationOf(response);
  assert.equal(`${location.origin}${location.pathname}`, URLS_ERROR);
  assert.ok(location.searchParams.get("error_description"));
  return location.searchParams.get("error") ?? "";
}

for (const backend of BACKENDS) {
  describe(`Hydra 2.x sign-out (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    let receiver: LogoutReceiver;
    let client: TestClient;
    let config: oidc.Configuration;

    before(async () => {
      receiver = await new LogoutReceiver().start();
      portico = await startOAuth2Portico({
        backend,
        env: { URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT, URLS_POST_LOGOUT_REDIRECT, URLS_ERROR },
      });
      api = sdk(portico);
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "rp-logout",
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid profile",
          post_logout_redirect_uris: ["https://rp.example/signed-out"],
          backchannel_logout_uri: receiver.url,
          backchannel_logout_session_required: true,
        },
      });
      client = { id: "rp-logout", secret: created.client_secret, redirectUri: "https://rp.example/cb" };
      config = await relyingParty(portico, client);
    });
    after(async () => {
      await portico?.stop();
      await receiver?.stop();
    });

    /** The code flow in `browser`, played by a scripted login & consent app; answers the ID token's claims. */
    async function signIn(browser: Browser, subject: string, remember: boolean) {
      let skipped = false;
      const { back, verifier, state } = await codeFlow(portico, {
        config,
        redirectUri: client.redirectUri,
        browser,
        scope: "openid",
        urls: { login: URLS_LOGIN, consent: URLS_CONSENT },
        login: (loginRequest) => {
          skipped = loginRequest.skip;
          return loginRequest.skip
            ? { subject: loginRequest.subject }
            : { subject, remember, remember_for: 3600 };
        },
        consent: { grant_scope: ["openid"] },
      });
      const tokens = await oidc.authorizationCodeGrant(config, locationOf(back), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        idTokenExpected: true,
      });
      const claims = tokens.claims() as oidc.IDToken;
      assert.equal(typeof claims.sid, "string", "every 2.x ID token names its login session");
      return { idToken: tokens.id_token as string, sid: claims.sid as string, skipped };
    }

    /** Whether this browser's next authorization request is covered by a remembered login (skip). */
    async function remembered(browser: Browser): Promise<boolean> {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: oidc.randomState(),
      });
      const loginChallenge = challengeOf(await browser.get(url.href), URLS_LOGIN, "login_challenge");
      return (await api.oauth2.getOAuth2LoginRequest({ loginChallenge })).skip;
    }

    async function verifyLogoutToken(token: string) {
      const { payload } = await jwtVerify(
        token,
        createRemoteJWKSet(new URL(`${portico.url}/.well-known/jwks.json`)),
        { issuer: portico.url, audience: client.id, typ: "logout+jwt" },
      );
      assert.deepEqual(payload.events, { [EVENT]: {} });
      return payload;
    }

    test("RP-initiated with post_logout_redirect_uri: challenge, accept, the verifier ends the session once", async () => {
      const browser = new Browser();
      const { idToken, sid } = await signIn(browser, "alice", true);
      assert.equal(await remembered(browser), true);

      const state = oidc.randomState();
      const endSession = oidc.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: "https://rp.example/signed-out",
        state,
      });
      const logoutChallenge = challengeOf(
        await browser.get(endSession.href),
        URLS_LOGOUT,
        "logout_challenge",
      );

      const read = (await rawJson(await api.oauth2.getOAuth2LogoutRequestRaw({ logoutChallenge }))) as Record<
        string,
        unknown
      >;
      assertSchema("oAuth2LogoutRequest", read);
      assert.equal(read.challenge, logoutChallenge);
      assert.equal(read.subject, "alice");
      assert.equal(read.sid, sid);
      assert.equal(read.rp_initiated, true);
      assert.equal((read.client as { client_id: string }).client_id, client.id);
      assert.equal((read.client as Record<string, unknown>).client_secret, undefined);
      assert.ok((read.request_url as string).startsWith(`${portico.url}/oauth2/sessions/logout?`));

      const acceptedRaw = await api.oauth2.acceptOAuth2LogoutRequestRaw({ logoutChallenge });
      const accepted = (await rawJson(acceptedRaw)) as { redirect_to: string };
      assertSchema("oAuth2RedirectTo", accepted);
      const verifierUrl = new URL(accepted.redirect_to);
      assert.equal(`${verifierUrl.origin}${verifierUrl.pathname}`, `${portico.url}/oauth2/sessions/logout`);
      assert.ok(verifierUrl.searchParams.get("logout_verifier"));

      // Handled: GET is 410 with where to go, accept and reject 409.
      const gone = await admin(
        portico,
        `/admin/oauth2/auth/requests/logout?logout_challenge=${logoutChallenge}`,
      );
      assert.equal(gone.status, 410);
      assertSchema("oAuth2RedirectTo", await gone.json());
      await assertError(await failure(api.oauth2.acceptOAuth2LogoutRequest({ logoutChallenge })), 409);
      await assertError(await failure(api.oauth2.rejectOAuth2LogoutRequest({ logoutChallenge })), 409);

      // Nothing ends before the browser brings the verifier back, and only that browser may.
      await sleep(300);
      assert.equal(receiver.tokens.length, 0);
      assert.equal(errorOf(await new Browser().get(accepted.redirect_to)), "access_denied");
      const forged = new URL(accepted.redirect_to);
      forged.searchParams.set("logout_verifier", `${logoutChallenge}.${"A".repeat(43)}`);
      assert.equal(errorOf(await browser.get(forged.href)), "invalid_request");
      await sleep(300);
      assert.equal(receiver.tokens.length, 0, "a refused verifier starts no back-channel logout");

      const back = locationOf(await browser.get(accepted.redirect_to));
      assert.equal(`${back.origin}${back.pathname}`, "https://rp.example/signed-out");
      assert.equal(back.searchParams.get("state"), state);

      const [token] = await receiver.waitFor(1);
      const claims = await verifyLogoutToken(token as string);
      assert.equal(claims.sub, "alice");
      assert.equal(claims.sid, sid);

      // Replayed: refused, nothing more is sent; the login session is gone.
      assert.equal(errorOf(await browser.get(accepted.redirect_to)), "access_denied");
      assert.equal(await remembered(browser), false);
      await sleep(300);
      assert.equal(receiver.tokens.length, 1);
      receiver.tokens.length = 0;
    });

    test("started at the server: no session goes straight on; reject keeps the session; accept ends it", async () => {
      const nobody = locationOf(await new Browser().get(`${portico.url}/oauth2/sessions/logout`));
      assert.equal(nobody.href, URLS_POST_LOGOUT_REDIRECT);

      const browser = new Browser();
      const { sid } = await signIn(browser, "bruno", true);
      const first = challengeOf(
        await browser.get(`${portico.url}/oauth2/sessions/logout`),
        URLS_LOGOUT,
        "logout_challenge",
      );
      const read = await api.oauth2.getOAuth2LogoutRequest({ logoutChallenge: first });
      assert.equal(read.rp_initiated, false);
      assert.equal(read.subject, "bruno");
      assert.equal(read.sid, sid);
      assert.equal(read.client, undefined);

      const rejected = await api.oauth2.rejectOAuth2LogoutRequestRaw({ logoutChallenge: first });
      assert.equal(rejected.raw.status, 204);
      await assertError(
        await admin(portico, `/admin/oauth2/auth/requests/logout?logout_challenge=${first}`),
        404,
      );
      assert.equal(await remembered(browser), true, "a rejected logout ends nothing");

      // POST works as GET does.
      const second = challengeOf(
        await browser.post(`${portico.url}/oauth2/sessions/logout`, {}),
        URLS_LOGOUT,
        "logout_challenge",
      );
      const { redirect_to } = await api.oauth2.acceptOAuth2LogoutRequest({ logoutChallenge: second });
      assert.equal(locationOf(await browser.get(redirect_to)).href, URLS_POST_LOGOUT_REDIRECT);
      const [token] = await receiver.waitFor(1);
      assert.equal((await verifyLogoutToken(token as string)).sid, sid);
      assert.equal(await remembered(browser), false);
      receiver.tokens.length = 0;
    });

    test("DELETE /admin/oauth2/auth/sessions/login: by sid and by subject, with back-channel logout", async () => {
      const one = new Browser();
      const { sid } = await signIn(one, "carla", true);
      const other = new Browser();
      const second = await signIn(other, "carla", true);

      const bySid = await api.oauth2.revokeOAuth2LoginSessionsRaw({ sid });
      assert.equal(bySid.raw.status, 204);
      const [token] = await receiver.waitFor(1);
      assert.equal((await verifyLogoutToken(token as string)).sid, sid);
      assert.equal(await remembered(one), false);
      assert.equal(await remembered(other), true, "only the named session ends");

      // An unknown sid ends nothing and tells nobody (204, as Hydra).
      assert.equal(
        (await api.oauth2.revokeOAuth2LoginSessionsRaw({ sid: "unknown-session" })).raw.status,
        204,
      );
      await sleep(300);
      assert.equal(receiver.tokens.length, 1);

      const bySubject = await api.oauth2.revokeOAuth2LoginSessionsRaw({ subject: "carla" });
      assert.equal(bySubject.raw.status, 204);
      // Every session of the subject the grants know is named: the one ended by sid, and the other.
      const tokens = await receiver.waitFor(3);
      const sids = await Promise.all(tokens.slice(1).map(async (t) => (await verifyLogoutToken(t)).sid));
      assert.deepEqual(new Set(sids), new Set([sid, second.sid]));
      assert.equal(await remembered(other), false);
      await assertError(await admin(portico, "/admin/oauth2/auth/sessions/login", { method: "DELETE" }), 400);
      receiver.tokens.length = 0;
    });

    test("bad challenges and verifiers: 400/404/409 in Hydra's format or URLS_ERROR, never a 5xx, nothing ended", async () => {
      for (const path of ["", "/accept", "/reject"]) {
        const method = path ? "PUT" : "GET";
        await assertError(
          await admin(portico, `/admin/oauth2/auth/requests/logout${path}`, { method }),
          400,
          "invalid_request",
        );
        await assertError(
          await admin(portico, `/admin/oauth2/auth/requests/logout${path}?logout_challenge=unknown`, {
            method,
          }),
          404,
        );
      }
      // A login challenge is no logout challenge.
      const browser = new Browser();
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: client.redirectUri, scope: "openid" });
      const loginChallenge = challengeOf(await browser.get(url.href), URLS_LOGIN, "login_challenge");
      await assertError(
        await admin(portico, `/admin/oauth2/auth/requests/logout?logout_challenge=${loginChallenge}`),
        404,
      );

      for (const verifier of ["nonsense", `${"x".repeat(22)}.${"A".repeat(43)}`]) {
        const response = await browser.get(
          `${portico.url}/oauth2/sessions/logout?${new URLSearchParams({ logout_verifier: verifier })}`,
        );
        assert.equal(errorOf(response), "invalid_request");
      }
      // Errors at the end-session endpoint go to URLS_ERROR too.
      assert.equal(
        errorOf(await browser.get(`${portico.url}/oauth2/sessions/logout?id_token_hint=not-a-token`)),
        "invalid_request",
      );
      assert.equal(
        errorOf(
          await browser.get(
            `${portico.url}/oauth2/sessions/logout?${new URLSearchParams({ client_id: client.id, post_logout_redirect_uri: "https://evil.example/" })}`,
          ),
        ),
        "invalid_request",
      );
      // And so do /oauth2/auth errors that cannot go to the client.
      assert.equal(
        errorOf(await browser.get(`${portico.url}/oauth2/auth?client_id=nobody&response_type=code`)),
        "invalid_client",
      );
      await sleep(300);
      assert.equal(receiver.tokens.length, 0);
    });
  });
}

describe("Hydra 2.x sign-out: expiry, and the 2017 mode", () => {
  test("an expired logout challenge is 404 and its verifier ends nothing", async () => {
    const portico = await startOAuth2Portico({
      env: { URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT, CHALLENGE_TOKEN_LIFESPAN: "2s" },
    });
    try {
      const api = sdk(portico);
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "rp-expiry",
          redirect_uris: ["https://rp.example/cb"],
          response_types: ["code"],
          scope: "openid",
        },
      });
      const config = await relyingParty(portico, {
        id: "rp-expiry",
        secret: created.client_secret,
        redirectUri: "https://rp.example/cb",
      });
      const browser = new Browser();
      const loginChallenge = challengeOf(
        await browser.get(
          oidc.buildAuthorizationUrl(config, { redirect_uri: "https://rp.example/cb", scope: "openid" }).href,
        ),
        URLS_LOGIN,
        "login_challenge",
      );
      // Remembered: the browser has a login session to sign out of.
      const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "dora", remember: true },
      });
      challengeOf(await browser.get(redirect_to), URLS_CONSENT, "consent_challenge");
      const first = challengeOf(
        await browser.get(`${portico.url}/oauth2/sessions/logout`),
        URLS_LOGOUT,
        "logout_challenge",
      );
      const accepted = await api.oauth2.acceptOAuth2LogoutRequest({ logoutChallenge: first });
      const second = challengeOf(
        await browser.get(`${portico.url}/oauth2/sessions/logout`),
        URLS_LOGOUT,
        "logout_challenge",
      );
      await sleep(2_200);
      for (const path of ["", "/accept", "/reject"]) {
        await assertError(
          await admin(portico, `/admin/oauth2/auth/requests/logout${path}?logout_challenge=${second}`, {
            method: path ? "PUT" : "GET",
          }),
          404,
        );
      }
      const late = await browser.get(accepted.redirect_to);
      assert.equal(late.status, 400, "an expired verifier is the error page (no URLS_ERROR here)");
      const page = await late.text();
      assert.match(page, /expired/);
    } finally {
      await portico.stop();
    }
  });

  test("without URLS_LOGIN the 2.x logout operations find nothing and the 2017 logout runs", async () => {
    const portico = await startOAuth2Portico({ env: { LOGOUT_URL: "https://consent.example/logout" } });
    try {
      const browser = new Browser();
      const location = locationOf(await browser.get(`${portico.url}/oauth2/sessions/logout`));
      assert.equal(`${location.origin}${location.pathname}`, "https://consent.example/logout");
      const id = location.searchParams.get("logout") as string;
      assert.ok(id);
      await assertError(
        await admin(portico, `/admin/oauth2/auth/requests/logout?logout_challenge=${id}`),
        404,
      );
    } finally {
      await portico.stop();
    }
  });
});
