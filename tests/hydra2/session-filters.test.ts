/**
 * The filters of Hydra 2.x's consent sessions: `login_session_id` on
 * listOAuth2ConsentSessions and `consent_request_id` on
 * revokeOAuth2ConsentSessions. openid-client is the relying party, the tests
 * play the login & consent app through Ory's SDK on the admin port — on every
 * backend.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oidc from "openid-client";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, challengeOf, rawJson, sdk } from "@/tests/hydra2/support.ts";
import { Browser, relyingParty, startOAuth2Portico, type TestClient } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const SESSIONS = "/admin/oauth2/auth/sessions/consent";

type Session = Record<string, unknown> & { consent_request: { client: { client_id: string } } };

for (const backend of BACKENDS) {
  describe(`Hydra 2.x consent session filters (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    const rps: { client: TestClient; config: oidc.Configuration }[] = [];

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      api = sdk(portico);
      for (const id of ["rp-one", "rp-two"]) {
        const created = await api.oauth2.createOAuth2Client({
          oAuth2Client: {
            client_id: id,
            redirect_uris: [`https://${id}.example/cb`],
            grant_types: ["authorization_code", "refresh_token"],
            response_types: ["code"],
            scope: "openid offline",
          },
        });
        const client = { id, secret: created.client_secret, redirectUri: `https://${id}.example/cb` };
        rps.push({ client, config: await relyingParty(portico, client) });
      }
    });
    after(async () => {
      await portico?.stop();
    });

    /**
     * One authorization through the login and consent steps in `browser`: the login accepted for
     * `subject` (or skipped, when remembered), the consent as `consent` says. Answers the
     * consent request as the app saw it and, unless `exchange` is false, the client's tokens.
     */
    async function authorize(
      browser: Browser,
      subject: string,
      options: { rp?: number; rememberLogin?: boolean; rememberConsent?: boolean; exchange?: boolean } = {},
    ) {
      const { client, config } = rps[options.rp ?? 0] as (typeof rps)[number];
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: "openid offline",
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
      });
      const loginChallenge = challengeOf(await browser.get(url.href), URLS_LOGIN, "login_challenge");
      const login = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject, remember: options.rememberLogin ?? false },
      });
      const consentChallenge = challengeOf(
        await browser.get(login.redirect_to),
        URLS_CONSENT,
        "consent_challenge",
      );
      const request = (await rawJson(
        await api.oauth2.getOAuth2ConsentRequestRaw({ consentChallenge }),
      )) as Record<string, unknown>;
      assertSchema("oAuth2ConsentRequest", request);
      const consent = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: {
          grant_scope: ["openid", "offline"],
          remember: options.rememberConsent ?? false,
        },
      });
      const back = await browser.get(consent.redirect_to);
      if (options.exchange === false) return { request, back, tokens: undefined };
      assert.equal(back.status, 302);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get("location") ?? ""), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      return { request, back, tokens };
    }

    const active = async (token: string | undefined) =>
      (await api.oauth2.introspectOAuth2Token({ token: token as string })).active;

    const list = async (query: Record<string, string>) => {
      const response = await admin(portico, `${SESSIONS}?${new URLSearchParams(query)}`);
      assert.equal(response.status, 200);
      const sessions = (await response.json()) as Session[];
      assertSchema("oAuth2ConsentSessions", sessions);
      return { sessions, link: response.headers.get("link") ?? "" };
    };

    const revokeRequest = (consentRequestId: string) =>
      admin(portico, `${SESSIONS}?${new URLSearchParams({ consent_request_id: consentRequestId })}`, {
        method: "DELETE",
      });

    test("login_session_id: only the consent sessions of that login session are listed", async () => {
      const first = await authorize(new Browser(), "hana", { rp: 0 });
      const second = await authorize(new Browser(), "hana", { rp: 1 });
      const sidOne = first.request.login_session_id as string;
      const sidTwo = second.request.login_session_id as string;
      assert.ok(sidOne && sidTwo && sidOne !== sidTwo);

      // Through Ory's SDK: the filter is sent and honoured.
      const viaSdk = (await rawJson(
        await api.oauth2.listOAuth2ConsentSessionsRaw({ subject: "hana", loginSessionId: sidOne }),
      )) as Session[];
      assert.deepEqual(
        viaSdk.map((session) => session.consent_request.client.client_id),
        ["rp-one"],
      );
      const two = await list({ subject: "hana", login_session_id: sidTwo });
      assert.deepEqual(
        two.sessions.map((session) => session.consent_request.client.client_id),
        ["rp-two"],
      );
      // Each session came from one consent request: it names it.
      assert.equal(two.sessions[0]?.consent_request_id, second.request.consent_request_id);
      // The links keep the filter.
      assert.match(two.link, /rel="first"/);
      assert.ok(
        two.link.includes(`login_session_id=${encodeURIComponent(sidTwo)}`),
        `the first link keeps login_session_id: ${two.link}`,
      );
      // Without the filter: both; an empty one is no filter, as in Hydra.
      assert.equal((await list({ subject: "hana" })).sessions.length, 2);
      assert.equal((await list({ subject: "hana", login_session_id: "" })).sessions.length, 2);
      // Another subject's view of the session, or a session that does not exist: nothing.
      assert.deepEqual((await list({ subject: "someone-else", login_session_id: sidOne })).sessions, []);
      assert.deepEqual((await list({ subject: "hana", login_session_id: "no-such-session" })).sessions, []);
      // A session's tokens revoked: the session is no longer listed under its login session.
      await api.oauth2.revokeOAuth2ConsentSessions({ subject: "hana", client: "rp-one" });
      assert.deepEqual((await list({ subject: "hana", login_session_id: sidOne })).sessions, []);
      assert.equal((await list({ subject: "hana", login_session_id: sidTwo })).sessions.length, 1);

      // Values no session can have: 400 in Hydra's format.
      await assertError(
        await admin(portico, `${SESSIONS}?subject=hana&login_session_id=${"x".repeat(200)}`),
        400,
        "invalid_request",
      );
      await assertError(
        await admin(portico, `${SESSIONS}?subject=hana&login_session_id=a%01b`),
        400,
        "invalid_request",
      );
      await assertError(
        await admin(portico, `${SESSIONS}?login_session_id=${sidTwo}`),
        400,
        "invalid_request",
      );
    });

    test("consent_request_id: what that consent request granted is revoked (refreshed tokens too), nothing else", async () => {
      const browser = new Browser();
      const revokedOne = await authorize(browser, "ivy", { rememberLogin: true, rememberConsent: true });
      const consentRequestId = revokedOne.request.consent_request_id as string;
      assert.equal(consentRequestId, revokedOne.request.challenge, "the id is the request's");
      const refreshed = await oidc.refreshTokenGrant(
        rps[0]?.config as oidc.Configuration,
        revokedOne.tokens?.refresh_token as string,
      );
      const kept = await authorize(new Browser(), "ivy");
      const otherClient = await authorize(new Browser(), "ivy", { rp: 1 });
      // Two consent requests of rp-one make one session, which names neither.
      const before = await list({ subject: "ivy" });
      assert.equal(before.sessions.length, 2);
      const rpOne = before.sessions.find((session) => session.consent_request.client.client_id === "rp-one");
      assert.equal(rpOne?.consent_request_id, undefined);

      // Misused: 400 in Hydra's format, and nothing is revoked.
      for (const query of [
        `consent_request_id=${consentRequestId}&subject=ivy`,
        `consent_request_id=${consentRequestId}&client=rp-one`,
        `consent_request_id=${consentRequestId}&all=true`,
        `consent_request_id=${"x".repeat(200)}`,
        "consent_request_id=a%0Ab",
      ])
        await assertError(
          await admin(portico, `${SESSIONS}?${query}`, { method: "DELETE" }),
          400,
          "invalid_request",
        );
      assert.equal(await active(refreshed.access_token), true);

      // Ory's SDK (@ory/hydra-client-fetch) has no consent_request_id yet: plain HTTP.
      assert.equal((await revokeRequest(consentRequestId)).status, 204);
      assert.equal(await active(revokedOne.tokens?.access_token), false);
      assert.equal(await active(refreshed.access_token), false, "the refreshed access token too");
      assert.equal(await active(refreshed.refresh_token), false, "the refreshed refresh token too");
      await assert.rejects(
        oidc.refreshTokenGrant(rps[0]?.config as oidc.Configuration, refreshed.refresh_token as string),
      );
      for (const other of [kept, otherClient]) {
        assert.equal(await active(other.tokens?.access_token), true, "another consent request's token lives");
        assert.equal(await active(other.tokens?.refresh_token), true);
      }
      const after = await list({ subject: "ivy" });
      assert.equal(after.sessions.length, 2);
      assert.equal(
        after.sessions.find((session) => session.consent_request.client.client_id === "rp-one")
          ?.consent_request_id,
        kept.request.consent_request_id,
        "rp-one's session now gathers the other request only",
      );

      // The remembered consent that request wrote is forgotten: the consent step is shown again
      // (the remembered login still skips the login step).
      const again = await authorize(browser, "ivy", { exchange: false });
      assert.equal(again.request.skip, false);

      // An unknown id, or one revoked already: 204, nothing else changes.
      for (const id of ["no-such-request", consentRequestId])
        assert.equal((await revokeRequest(id)).status, 204);
      assert.equal(await active(kept.tokens?.access_token), true);
    });

    test("consent_request_id before the code is used: the code is dead; before the browser returns: no code", async () => {
      const unexchanged = await authorize(new Browser(), "jan", { exchange: false });
      const code = new URL(unexchanged.back.headers.get("location") ?? "").searchParams.get("code");
      assert.ok(code);
      assert.equal((await revokeRequest(unexchanged.request.consent_request_id as string)).status, 204);
      const { client } = rps[0] as (typeof rps)[number];
      const exchanged = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
        },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: client.redirectUri,
        }),
      });
      assert.equal(exchanged.status, 400);
      assert.equal(((await exchanged.json()) as { error: string }).error, "invalid_grant");

      // Accepted, but the browser has not come back with the verifier yet.
      const browser = new Browser();
      const { config } = rps[0] as (typeof rps)[number];
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: oidc.randomState(),
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: "S256",
      });
      const loginChallenge = challengeOf(await browser.get(url.href), URLS_LOGIN, "login_challenge");
      const login = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "jan" },
      });
      const consentChallenge = challengeOf(
        await browser.get(login.redirect_to),
        URLS_CONSENT,
        "consent_challenge",
      );
      const request = (await rawJson(
        await api.oauth2.getOAuth2ConsentRequestRaw({ consentChallenge }),
      )) as Record<string, unknown>;
      const accepted = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
      });
      assert.equal((await revokeRequest(request.consent_request_id as string)).status, 204);
      const back = await browser.get(accepted.redirect_to);
      const location = new URL(back.headers.get("location") ?? "");
      assert.equal(location.searchParams.get("code"), null, "no code after the revocation");
      assert.ok(location.searchParams.get("error"), "the client gets an error");
      assert.deepEqual((await list({ subject: "jan" })).sessions, []);
    });
  });
}
