/**
 * The Hydra 2.x flow (URLS_LOGIN, URLS_CONSENT) end to end: openid-client is
 * the relying party, the tests play the login & consent app through Ory's
 * SDK on the admin port, a Browser keeps the cookies — on every backend.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oidc from "openid-client";
import { createDatabase } from "@/db/client.ts";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, challengeOf, failure, rawJson, sdk } from "@/tests/hydra2/support.ts";
import {
  Browser,
  relyingParty,
  startOAuth2Portico,
  type TestClient,
  verifyIdToken,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";

function clientRedirect(response: Response, client: TestClient): URL {
  assert.equal(response.status, 302);
  const location = new URL(response.headers.get("location") ?? "");
  assert.equal(`${location.origin}${location.pathname}`, client.redirectUri);
  return location;
}

for (const backend of BACKENDS) {
  describe(`Hydra 2.x login and consent flow (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    let client: TestClient;
    let config: oidc.Configuration;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      api = sdk(portico);
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "rp-v2",
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid offline profile",
        },
      });
      client = { id: "rp-v2", secret: created.client_secret, redirectUri: "https://rp.example/cb" };
      config = await relyingParty(portico, client);
    });
    after(async () => {
      await portico?.stop();
    });

    async function authorizationUrl(scope: string, extra: Record<string, string> = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope,
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        ...extra,
      });
      return { url, verifier, state, nonce };
    }

    async function start(browser: Browser, scope = "openid offline profile") {
      const flow = await authorizationUrl(scope);
      const loginChallenge = challengeOf(await browser.get(flow.url.href), URLS_LOGIN, "login_challenge");
      return { ...flow, loginChallenge };
    }

    /** The client's end of a flow: the code `redirectTo` brings, exchanged with the flow's verifier; state and nonce checked. */
    async function exchange(
      browser: Browser,
      redirectTo: string,
      flow: { verifier: string; state: string; nonce: string },
    ) {
      return oidc.authorizationCodeGrant(config, clientRedirect(await browser.get(redirectTo), client), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    }

    async function login(browser: Browser, loginChallenge: string) {
      const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "alice", amr: ["pwd"], acr: "urn:portico:pwd" },
      });
      const consentChallenge = challengeOf(await browser.get(redirect_to), URLS_CONSENT, "consent_challenge");
      return { consentChallenge, loginRedirect: redirect_to };
    }

    test("login, then consent, then the code: every answer valid for the document", async () => {
      const browser = new Browser();
      const { verifier, state, nonce, loginChallenge } = await start(browser);

      const loginRequest = (await rawJson(
        await api.oauth2.getOAuth2LoginRequestRaw({ loginChallenge }),
      )) as Record<string, unknown>;
      assertSchema("oAuth2LoginRequest", loginRequest);
      assert.equal(loginRequest.challenge, loginChallenge);
      assert.equal(loginRequest.skip, false);
      assert.equal(loginRequest.subject, "");
      assert.equal((loginRequest.client as { client_id: string }).client_id, "rp-v2");
      assert.deepEqual(loginRequest.requested_scope, ["openid", "offline", "profile"]);
      assert.match(loginRequest.request_url as string, /^http:\/\/127\.0\.0\.1:\d+\/oauth2\/auth\?/);

      const accepted = await api.oauth2.acceptOAuth2LoginRequestRaw({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "alice", amr: ["pwd"], acr: "urn:portico:pwd", remember: false },
      });
      const redirectTo = (await rawJson(accepted)) as { redirect_to: string };
      assertSchema("oAuth2RedirectTo", redirectTo);
      assert.match(redirectTo.redirect_to, /login_verifier=/);
      const consentChallenge = challengeOf(
        await browser.get(redirectTo.redirect_to),
        URLS_CONSENT,
        "consent_challenge",
      );

      const consentRequest = (await rawJson(
        await api.oauth2.getOAuth2ConsentRequestRaw({ consentChallenge }),
      )) as Record<string, unknown>;
      assertSchema("oAuth2ConsentRequest", consentRequest);
      assert.equal(consentRequest.subject, "alice");
      assert.deepEqual(consentRequest.amr, ["pwd"]);
      assert.equal(consentRequest.acr, "urn:portico:pwd");
      assert.equal(consentRequest.skip, false);

      const consented = await api.oauth2.acceptOAuth2ConsentRequestRaw({
        consentChallenge,
        acceptOAuth2ConsentRequest: {
          grant_scope: ["openid", "offline", "profile"],
          session: { id_token: { name: "Alice" }, access_token: { tenant: "t1" } },
        },
      });
      const done = (await rawJson(consented)) as { redirect_to: string };
      assertSchema("oAuth2RedirectTo", done);
      const callback = clientRedirect(await browser.get(done.redirect_to), client);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const claims = await verifyIdToken(portico, tokens.id_token as string, {
        clientId: "rp-v2",
        subject: "alice",
        nonce,
        accessToken: tokens.access_token,
      });
      assert.equal(claims.name, "Alice");
      assert.deepEqual(claims.amr, ["pwd"]);
      assert.equal(claims.acr, "urn:portico:pwd");
      assert.ok(tokens.refresh_token);
      const introspected = await api.oauth2.introspectOAuth2Token({ token: tokens.access_token });
      assert.equal(introspected.active, true);
      assert.equal(introspected.sub, "alice");
      assert.deepEqual(introspected.ext, { tenant: "t1" });

      // Answered: GET says where the browser went (410), a second answer is a conflict (409).
      const gone = await admin(
        portico,
        `/admin/oauth2/auth/requests/login?login_challenge=${loginChallenge}`,
      );
      assert.equal(gone.status, 410);
      assertSchema("oAuth2RedirectTo", await gone.json());
      const again = await failure(
        api.oauth2.acceptOAuth2LoginRequest({
          loginChallenge,
          acceptOAuth2LoginRequest: { subject: "mallory" },
        }),
      );
      await assertError(again, 409);
      const goneConsent = await admin(
        portico,
        `/admin/oauth2/auth/requests/consent?consent_challenge=${consentChallenge}`,
      );
      assert.equal(goneConsent.status, 410);
      await assertError(
        await failure(
          api.oauth2.acceptOAuth2ConsentRequest({ consentChallenge, acceptOAuth2ConsentRequest: {} }),
        ),
        409,
      );

      // The verifiers are single-use: replayed, the client gets an error and no code.
      for (const replay of [redirectTo.redirect_to, done.redirect_to]) {
        const location = clientRedirect(await browser.get(replay), client);
        assert.equal(location.searchParams.get("code"), null);
        assert.equal(location.searchParams.get("error"), "access_denied");
      }
    });

    test("a verifier used in another browser is refused, and the flow still works in its own", async () => {
      const browser = new Browser();
      const { loginChallenge } = await start(browser);
      const { loginRedirect } = await (async () => {
        const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
          loginChallenge,
          acceptOAuth2LoginRequest: { subject: "alice" },
        });
        return { loginRedirect: redirect_to };
      })();
      const stolen = clientRedirect(await new Browser().get(loginRedirect), client);
      assert.equal(stolen.searchParams.get("error"), "access_denied");
      assert.equal(stolen.searchParams.get("code"), null);
      const consentChallenge = challengeOf(
        await browser.get(loginRedirect),
        URLS_CONSENT,
        "consent_challenge",
      );
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
      });
      const elsewhere = clientRedirect(await new Browser().get(redirect_to), client);
      assert.equal(elsewhere.searchParams.get("code"), null);
      const home = clientRedirect(await browser.get(redirect_to), client);
      assert.ok(home.searchParams.get("code"), "the browser that started the flow gets the code");
      // A forged verifier for this request is refused too.
      const forged = new URL(redirect_to);
      forged.searchParams.set("consent_verifier", `${consentChallenge}.${"A".repeat(43)}`);
      assert.equal(clientRedirect(await browser.get(forged.href), client).searchParams.get("code"), null);
    });

    test("a request without redirect_uri: its code redeems at the URI it went to after the client registers another", async () => {
      const first = "https://single.example/cb";
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "rp-single",
          redirect_uris: [first],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid offline",
        },
      });
      const browser = new Browser();
      const params = new URLSearchParams({
        response_type: "code",
        client_id: "rp-single",
        // A plain OAuth 2.0 request: an OpenID Connect one must name its redirect_uri.
        scope: "offline",
        state: "single-state",
      });
      const loginChallenge = challengeOf(
        await browser.get(`${portico.url}/oauth2/auth?${params}`),
        URLS_LOGIN,
        "login_challenge",
      );
      const { consentChallenge } = await login(browser, loginChallenge);
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["offline"] },
      });
      const back = clientRedirect(await browser.get(redirect_to), { id: "rp-single", redirectUri: first });
      const code = back.searchParams.get("code") as string;

      await api.oauth2.patchOAuth2Client({
        id: "rp-single",
        jsonPatch: [{ op: "add", path: "/redirect_uris/-", value: "https://single.example/other" }],
      });
      const redeem = (redirectUri: string) =>
        fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`rp-single:${encodeURIComponent(created.client_secret as string)}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri }),
        });
      const other = await redeem("https://single.example/other");
      assert.equal(other.status, 400);
      assert.equal(((await other.json()) as { error: string }).error, "invalid_grant");
      const same = await redeem(first);
      assert.equal(same.status, 200, await same.clone().text());
    });

    test("rejections reach the client: consent → access_denied, login → login_required", async () => {
      const browser = new Browser();
      const first = await start(browser);
      const { consentChallenge } = await login(browser, first.loginChallenge);
      const { redirect_to } = await api.oauth2.rejectOAuth2ConsentRequest({
        consentChallenge,
        rejectOAuth2Request: { error: "access_denied", error_description: "The person said no" },
      });
      const denied = clientRedirect(await browser.get(redirect_to), client);
      assert.equal(denied.searchParams.get("error"), "access_denied");
      assert.equal(denied.searchParams.get("state"), first.state);

      const second = await start(browser);
      const rejected = await api.oauth2.rejectOAuth2LoginRequestRaw({
        loginChallenge: second.loginChallenge,
        rejectOAuth2Request: { error: "login_required" },
      });
      const body = (await rawJson(rejected)) as { redirect_to: string };
      assertSchema("oAuth2RedirectTo", body);
      const required = clientRedirect(await browser.get(body.redirect_to), client);
      assert.equal(required.searchParams.get("error"), "login_required");
      await assertError(
        await admin(
          portico,
          `/admin/oauth2/auth/requests/consent?consent_challenge=${second.loginChallenge}`,
        ),
        404,
      );
    });

    test("the login's context reaches the consent request, a skipped login's too; none is {}", async () => {
      const browser = new Browser();
      const contextOf = async (consentChallenge: string) => {
        const request = (await rawJson(
          await api.oauth2.getOAuth2ConsentRequestRaw({ consentChallenge }),
        )) as Record<string, unknown>;
        assertSchema("oAuth2ConsentRequest", request);
        return request.context;
      };
      const grant = async (consentChallenge: string) => {
        const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
          consentChallenge,
          acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
        });
        clientRedirect(await browser.get(redirect_to), client);
      };

      const first = await start(browser, "openid");
      const context = { tenant: "t1", factors: ["pwd", "otp"], level: 2, nested: { risk: null } };
      const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge: first.loginChallenge,
        acceptOAuth2LoginRequest: { subject: "dora", remember: true, context },
      });
      const consentChallenge = challengeOf(await browser.get(redirect_to), URLS_CONSENT, "consent_challenge");
      assert.deepEqual(await contextOf(consentChallenge), context);
      assert.deepEqual((await api.oauth2.getOAuth2ConsentRequest({ consentChallenge })).context, context);
      await grant(consentChallenge);

      // The remembered login is skipped; the context is the one this acceptance sends, any JSON value.
      const second = await start(browser, "openid");
      const skipped = await api.oauth2.getOAuth2LoginRequest({ loginChallenge: second.loginChallenge });
      assert.equal(skipped.skip, true);
      const again = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge: second.loginChallenge,
        acceptOAuth2LoginRequest: { subject: "dora", context: ["second"] },
      });
      const secondConsent = challengeOf(
        await browser.get(again.redirect_to),
        URLS_CONSENT,
        "consent_challenge",
      );
      assert.deepEqual(await contextOf(secondConsent), ["second"]);
      await grant(secondConsent);

      // Without a context, the consent request's is {}.
      const third = await start(browser, "openid");
      // A context nested thousands of levels deep is a 400 that records nothing (JSON.stringify gave a 500).
      const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
      const refused = await fetch(
        `${portico.adminUrl}/admin/oauth2/auth/requests/login/accept?login_challenge=${encodeURIComponent(third.loginChallenge)}`,
        {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: `{"subject":"dora","context":${deep}}`,
        },
      );
      assert.equal(refused.status, 400, await refused.clone().text());
      assert.match(((await refused.json()) as { error_description: string }).error_description, /context/);
      const plain = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge: third.loginChallenge,
        acceptOAuth2LoginRequest: { subject: "dora" },
      });
      const thirdConsent = challengeOf(
        await browser.get(plain.redirect_to),
        URLS_CONSENT,
        "consent_challenge",
      );
      assert.deepEqual(await contextOf(thirdConsent), {});
    });

    test("a skipped login accepted with a new acr and amr (a step-up): the consent request and ID token say so; auth_time stays", async () => {
      const browser = new Browser();
      const signIn = async (acceptance: { acr?: string; amr?: string[] }, skip: boolean) => {
        const flow = await authorizationUrl("openid");
        const loginChallenge = challengeOf(await browser.get(flow.url.href), URLS_LOGIN, "login_challenge");
        const loginRequest = await api.oauth2.getOAuth2LoginRequest({ loginChallenge });
        assert.equal(loginRequest.skip, skip);
        const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
          loginChallenge,
          acceptOAuth2LoginRequest: { subject: "erin", remember: !skip, ...acceptance },
        });
        const consentChallenge = challengeOf(
          await browser.get(redirect_to),
          URLS_CONSENT,
          "consent_challenge",
        );
        const consentRequest = await api.oauth2.getOAuth2ConsentRequest({ consentChallenge });
        const done = await api.oauth2.acceptOAuth2ConsentRequest({
          consentChallenge,
          acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
        });
        const tokens = await exchange(browser, done.redirect_to, flow);
        return { consentRequest, claims: tokens.claims() as oidc.IDToken };
      };

      const first = await signIn({ acr: "urn:portico:pwd", amr: ["pwd"] }, false);
      assert.equal(first.claims.acr, "urn:portico:pwd");
      await new Promise((resolve) => setTimeout(resolve, 1100));

      // The app asked for a second factor on the remembered login and says so.
      const stepped = await signIn({ acr: "urn:portico:mfa", amr: ["pwd", "otp"] }, true);
      assert.equal(stepped.consentRequest.acr, "urn:portico:mfa");
      assert.deepEqual(stepped.consentRequest.amr, ["pwd", "otp"]);
      assert.equal(stepped.claims.acr, "urn:portico:mfa");
      assert.deepEqual(stepped.claims.amr, ["pwd", "otp"]);
      assert.equal(stepped.claims.auth_time, first.claims.auth_time, "auth_time is the remembered sign-in's");

      // Without them, the remembered sign-in's stand.
      const plain = await signIn({}, true);
      assert.equal(plain.claims.acr, "urn:portico:pwd");
      assert.deepEqual(plain.claims.amr, ["pwd"]);
    });

    test("a new login's request names the session it starts: session_id is the consent's login_session_id and the ID token's sid", async () => {
      for (const remember of [false, true]) {
        const browser = new Browser();
        const flow = await authorizationUrl("openid");
        const loginChallenge = challengeOf(await browser.get(flow.url.href), URLS_LOGIN, "login_challenge");
        const loginRequest = (await rawJson(
          await api.oauth2.getOAuth2LoginRequestRaw({ loginChallenge }),
        )) as Record<string, unknown>;
        assertSchema("oAuth2LoginRequest", loginRequest);
        assert.equal(loginRequest.skip, false);
        const sessionId = loginRequest.session_id;
        assert.equal(typeof sessionId, "string", "the login request names its login session");
        assert.ok((sessionId as string).length > 0);
        const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
          loginChallenge,
          acceptOAuth2LoginRequest: { subject: "fay", remember },
        });
        const consentChallenge = challengeOf(
          await browser.get(redirect_to),
          URLS_CONSENT,
          "consent_challenge",
        );
        const consentRequest = await api.oauth2.getOAuth2ConsentRequest({ consentChallenge });
        assert.equal(consentRequest.login_session_id, sessionId);
        const done = await api.oauth2.acceptOAuth2ConsentRequest({
          consentChallenge,
          acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
        });
        const tokens = await exchange(browser, done.redirect_to, flow);
        assert.equal(tokens.claims()?.sid, sessionId);
        // Each request starts a session of its own.
        const other = await authorizationUrl("openid");
        const otherChallenge = challengeOf(
          await new Browser().get(other.url.href),
          URLS_LOGIN,
          "login_challenge",
        );
        const otherRequest = await api.oauth2.getOAuth2LoginRequest({ loginChallenge: otherChallenge });
        assert.equal(typeof otherRequest.session_id, "string");
        assert.notEqual(otherRequest.session_id, sessionId);
      }
    });

    test("prompt=login and max_age=0 show the login step even in the second of the remembered sign-in", async () => {
      // auth_time counts whole seconds: the case is a request in the same second as the sign-in.
      // Start each round at the beginning of a second, and retry a round that crossed one.
      const forcing: Record<string, string>[] = [{ prompt: "login" }, { max_age: "0" }];
      for (const extra of forcing) {
        let exercised = false;
        for (let round = 0; round < 5 && !exercised; round++) {
          await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
          const browser = new Browser();
          const signedIn = Math.floor(Date.now() / 1000);
          const flow = await authorizationUrl("openid");
          const loginChallenge = challengeOf(await browser.get(flow.url.href), URLS_LOGIN, "login_challenge");
          const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
            loginChallenge,
            acceptOAuth2LoginRequest: { subject: "gus", remember: true },
          });
          challengeOf(await browser.get(redirect_to), URLS_CONSENT, "consent_challenge");
          const forced = await authorizationUrl("openid", extra);
          const forcedChallenge = challengeOf(
            await browser.get(forced.url.href),
            URLS_LOGIN,
            "login_challenge",
          );
          const forcedRequest = await api.oauth2.getOAuth2LoginRequest({ loginChallenge: forcedChallenge });
          exercised = Math.floor(Date.now() / 1000) === signedIn;
          assert.equal(forcedRequest.skip, false, `${JSON.stringify(extra)} shows the login step`);
        }
        assert.ok(exercised, "one round stayed within one second");
      }
    });

    test("consent sessions: listed per client for the subject; revoking one stops its tokens at once", async () => {
      const browser = new Browser();
      const { verifier, state, nonce, loginChallenge } = await start(browser, "openid offline");
      const { redirect_to: loginDone } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "bob" },
      });
      const consentChallenge = challengeOf(await browser.get(loginDone), URLS_CONSENT, "consent_challenge");
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["openid", "offline"] },
      });
      const tokens = await exchange(browser, redirect_to, { verifier, state, nonce });

      const listed = await api.oauth2.listOAuth2ConsentSessionsRaw({ subject: "bob" });
      const sessions = (await rawJson(listed)) as Array<Record<string, unknown>>;
      assertSchema("oAuth2ConsentSessions", sessions);
      assert.equal(sessions.length, 1);
      assert.deepEqual(sessions[0]?.grant_scope, ["openid", "offline"]);
      const request = sessions[0]?.consent_request as { client: { client_id: string }; subject: string };
      assert.equal(request.client.client_id, "rp-v2");
      assert.equal(request.subject, "bob");
      assert.match(listed.raw.headers.get("link") ?? "", /rel="first"/);
      assert.deepEqual(
        await rawJson(await api.oauth2.listOAuth2ConsentSessionsRaw({ subject: "nobody" })),
        [],
      );

      await assertError(await admin(portico, "/admin/oauth2/auth/sessions/consent"), 400, "invalid_request");
      await assertError(
        await admin(portico, "/admin/oauth2/auth/sessions/consent?subject=bob", { method: "DELETE" }),
        400,
        "invalid_request",
      );
      await assertError(
        await admin(portico, "/admin/oauth2/auth/sessions/consent?subject=bob&page_size=0"),
        400,
        "invalid_request",
      );
      const revoked = await api.oauth2.revokeOAuth2ConsentSessionsRaw({ subject: "bob", client: "rp-v2" });
      assert.equal(revoked.raw.status, 204);
      assert.equal((await api.oauth2.introspectOAuth2Token({ token: tokens.access_token })).active, false);
      assert.equal(
        (await api.oauth2.introspectOAuth2Token({ token: tokens.refresh_token as string })).active,
        false,
      );
      assert.deepEqual(await rawJson(await api.oauth2.listOAuth2ConsentSessionsRaw({ subject: "bob" })), []);
      assert.equal(
        (await api.oauth2.revokeOAuth2ConsentSessionsRaw({ subject: "bob", all: true })).raw.status,
        204,
      );
    });

    test("remember: the login and the consent are skipped next time, until the login session is revoked", async () => {
      const browser = new Browser();
      const scope = "openid profile";
      const first = await authorizationUrl(scope);
      const loginChallenge = challengeOf(await browser.get(first.url.href), URLS_LOGIN, "login_challenge");
      const { redirect_to: loginDone } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "carol", remember: true, remember_for: 3600, amr: ["pwd"] },
      });
      const back = await browser.get(loginDone);
      const setCookie = back.headers.getSetCookie().join("\n");
      assert.match(setCookie, /portico_login_session=.*HttpOnly/i);
      assert.match(setCookie, /SameSite=Lax/i);
      const consentChallenge = challengeOf(back, URLS_CONSENT, "consent_challenge");
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: {
          grant_scope: ["openid", "profile"],
          remember: true,
          remember_for: 3600,
        },
      });
      const firstTokens = await exchange(browser, redirect_to, first);
      const firstAuthTime = firstTokens.claims()?.auth_time;
      await new Promise((resolve) => setTimeout(resolve, 1100));

      // Next request in the same browser: both steps come with skip: true.
      const second = await authorizationUrl(scope);
      const skipped = challengeOf(await browser.get(second.url.href), URLS_LOGIN, "login_challenge");
      const skippedLogin = (await rawJson(
        await api.oauth2.getOAuth2LoginRequestRaw({ loginChallenge: skipped }),
      )) as Record<string, unknown>;
      assertSchema("oAuth2LoginRequest", skippedLogin);
      assert.equal(skippedLogin.skip, true);
      assert.equal(skippedLogin.subject, "carol");
      assert.equal(typeof skippedLogin.session_id, "string");
      await assertError(
        await failure(
          api.oauth2.acceptOAuth2LoginRequest({
            loginChallenge: skipped,
            acceptOAuth2LoginRequest: { subject: "mallory" },
          }),
        ),
        400,
        "invalid_request",
      );
      const { redirect_to: skippedDone } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge: skipped,
        acceptOAuth2LoginRequest: { subject: "carol" },
      });
      const secondConsent = challengeOf(await browser.get(skippedDone), URLS_CONSENT, "consent_challenge");
      const consentRequest = await api.oauth2.getOAuth2ConsentRequest({ consentChallenge: secondConsent });
      assert.equal(consentRequest.skip, true);
      const { redirect_to: secondDone } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge: secondConsent,
        acceptOAuth2ConsentRequest: { grant_scope: consentRequest.requested_scope },
      });
      const secondTokens = await exchange(browser, secondDone, second);
      assert.equal(secondTokens.claims()?.sub, "carol");
      assert.equal(secondTokens.claims()?.auth_time, firstAuthTime, "auth_time is the remembered sign-in's");

      // prompt=login and prompt=consent show the screens again.
      const forced = await authorizationUrl(scope, { prompt: "login" });
      const forcedChallenge = challengeOf(await browser.get(forced.url.href), URLS_LOGIN, "login_challenge");
      assert.equal((await api.oauth2.getOAuth2LoginRequest({ loginChallenge: forcedChallenge })).skip, false);

      // prompt=none: with the remembered login the flow goes on (skip); in a fresh browser, login_required.
      const silent = await authorizationUrl(scope, { prompt: "none" });
      const silentChallenge = challengeOf(await browser.get(silent.url.href), URLS_LOGIN, "login_challenge");
      assert.equal((await api.oauth2.getOAuth2LoginRequest({ loginChallenge: silentChallenge })).skip, true);
      const stranger = clientRedirect(await new Browser().get(silent.url.href), client);
      assert.equal(stranger.searchParams.get("error"), "login_required");

      // Revoking the subject's login sessions ends the skip.
      await assertError(await admin(portico, "/admin/oauth2/auth/sessions/login", { method: "DELETE" }), 400);
      const ended = await api.oauth2.revokeOAuth2LoginSessionsRaw({ subject: "carol" });
      assert.equal(ended.raw.status, 204);
      const after = await authorizationUrl(scope);
      const afterChallenge = challengeOf(await browser.get(after.url.href), URLS_LOGIN, "login_challenge");
      assert.equal((await api.oauth2.getOAuth2LoginRequest({ loginChallenge: afterChallenge })).skip, false);
      const afterSilent = clientRedirect(
        await browser.get((await authorizationUrl(scope, { prompt: "none" })).url.href),
        client,
      );
      assert.equal(afterSilent.searchParams.get("error"), "login_required");

      // Revoking the consent session forgets the remembered consent too.
      await api.oauth2.revokeOAuth2ConsentSessions({ subject: "carol", all: true });
      const third = await authorizationUrl(scope);
      const thirdLogin = challengeOf(await browser.get(third.url.href), URLS_LOGIN, "login_challenge");
      const { redirect_to: thirdDone } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge: thirdLogin,
        acceptOAuth2LoginRequest: { subject: "carol" },
      });
      const thirdConsent = challengeOf(await browser.get(thirdDone), URLS_CONSENT, "consent_challenge");
      assert.equal(
        (await api.oauth2.getOAuth2ConsentRequest({ consentChallenge: thirdConsent })).skip,
        false,
      );
    });

    test("extend_session_lifespan on a skipped login: the remembered login lives remember_for from now on", async () => {
      const db = createDatabase(portico.databaseUrl);
      try {
        const browser = new Browser();
        const expiryOf = async (id: string) =>
          (await db.loginSession.findUniqueOrThrow({ where: { id } })).expiresAt.getTime();
        const loginCookieOf = (response: Response) =>
          response.headers.getSetCookie().find((line) => line.startsWith("portico_login_session="));
        /** A new request in the browser, its login step accepted with `accept`; the browser's return. */
        const skippedLogin = async (accept: Record<string, unknown>) => {
          const { loginChallenge } = await start(browser, "openid");
          const request = await api.oauth2.getOAuth2LoginRequest({ loginChallenge });
          assert.equal(request.skip, true);
          const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
            loginChallenge,
            acceptOAuth2LoginRequest: { subject: "erin", ...accept },
          });
          const back = await browser.get(redirect_to);
          challengeOf(back, URLS_CONSENT, "consent_challenge");
          return { back, sessionId: request.session_id as string };
        };

        const { loginChallenge } = await start(browser, "openid");
        const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
          loginChallenge,
          acceptOAuth2LoginRequest: { subject: "erin", remember: true, remember_for: 60 },
        });
        const first = await browser.get(redirect_to);
        const cookie = loginCookieOf(first);
        assert.match(cookie ?? "", /Max-Age=60;/);
        const value = cookie?.split(";")[0];

        // Skipped without extend_session_lifespan: the remembered login keeps its expiry and cookie.
        const kept = await skippedLogin({ remember: true, remember_for: 7200 });
        const expiry = await expiryOf(kept.sessionId);
        assert.ok(expiry <= Date.now() + 60_000, "remembered for 60 seconds");
        assert.equal(loginCookieOf(kept.back), undefined);

        // With it: remember_for from now, in the store and in the cookie (the same session, the same value).
        const before = Date.now();
        const extended = await skippedLogin({ extend_session_lifespan: true, remember_for: 7200 });
        assert.equal(extended.sessionId, kept.sessionId);
        const renewed = loginCookieOf(extended.back) ?? "";
        assert.equal(renewed.split(";")[0], value);
        assert.match(renewed, /Max-Age=7200;/);
        assert.match(renewed, /HttpOnly/i);
        const extendedExpiry = await expiryOf(kept.sessionId);
        assert.ok(extendedExpiry >= before + 7_200_000 - 1000, "remembered for 7200 seconds from now");
        assert.ok(extendedExpiry <= Date.now() + 7_200_000);

        // remember_for 0 (or none): as long as the browser session, as a new login remembered so.
        const session = await skippedLogin({ extend_session_lifespan: true });
        const sessionCookie = loginCookieOf(session.back) ?? "";
        assert.equal(sessionCookie.split(";")[0], value);
        assert.doesNotMatch(sessionCookie, /Max-Age|Expires/i);
        assert.ok((await expiryOf(kept.sessionId)) > Date.now() + 7 * 24 * 3_600_000);

        // A login that is not skipped starts a session of its own: extend_session_lifespan changes nothing.
        const fresh = await authorizationUrl("openid", { prompt: "login" });
        const freshChallenge = challengeOf(await browser.get(fresh.url.href), URLS_LOGIN, "login_challenge");
        const { redirect_to: freshDone } = await api.oauth2.acceptOAuth2LoginRequest({
          loginChallenge: freshChallenge,
          acceptOAuth2LoginRequest: { subject: "erin", extend_session_lifespan: true },
        });
        const freshBack = await browser.get(freshDone);
        challengeOf(freshBack, URLS_CONSENT, "consent_challenge");
        assert.match(loginCookieOf(freshBack) ?? "", /Max-Age=0/, "not remembered: the cookie is dropped");
      } finally {
        await db.$disconnect();
      }
    });

    test("a trusted client (skip_consent) gets skip: true on its consent step", async () => {
      await api.oauth2.setOAuth2Client({
        id: "rp-v2",
        oAuth2Client: { ...(await api.oauth2.getOAuth2Client({ id: "rp-v2" })), skip_consent: true },
      });
      try {
        const browser = new Browser();
        const { loginChallenge } = await start(browser);
        const { consentChallenge } = await login(browser, loginChallenge);
        assert.equal((await api.oauth2.getOAuth2ConsentRequest({ consentChallenge })).skip, true);
      } finally {
        await api.oauth2.setOAuth2Client({
          id: "rp-v2",
          oAuth2Client: { ...(await api.oauth2.getOAuth2Client({ id: "rp-v2" })), skip_consent: false },
        });
      }
    });

    test("bad challenges and bodies: 404, 409, 400 in Hydra's format, never a 5xx", async () => {
      const browser = new Browser();
      const { loginChallenge } = await start(browser);
      const cases: Array<[string, Parameters<typeof admin>[2], number]> = [
        ["/admin/oauth2/auth/requests/login?login_challenge=unknown", {}, 404],
        ["/admin/oauth2/auth/requests/login", {}, 400],
        ["/admin/oauth2/auth/requests/consent?consent_challenge=unknown", {}, 404],
        [`/admin/oauth2/auth/requests/consent?consent_challenge=${loginChallenge}`, {}, 404],
        [
          `/admin/oauth2/auth/requests/login/accept?login_challenge=${loginChallenge}`,
          { method: "PUT", json: {} },
          400,
        ],
        [
          `/admin/oauth2/auth/requests/login/accept?login_challenge=${loginChallenge}`,
          { method: "PUT", json: { subject: "" } },
          400,
        ],
        [
          `/admin/oauth2/auth/requests/login/accept?login_challenge=${loginChallenge}`,
          { method: "PUT", body: "{" },
          400,
        ],
        [
          `/admin/oauth2/auth/requests/login/reject?login_challenge=${loginChallenge}`,
          { method: "PUT", json: { error: 7 } },
          400,
        ],
        [
          `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${loginChallenge}`,
          { method: "PUT", json: {} },
          404,
        ],
        [
          "/admin/oauth2/auth/requests/login/accept?login_challenge=nope",
          { method: "PUT", json: { subject: "a" } },
          404,
        ],
      ];
      for (const [path, init, status] of cases) {
        const response = await admin(portico, path, init);
        assert.ok(response.status < 500, `${path} → ${response.status}`);
        await assertError(response, status);
      }
      const { consentChallenge } = await login(browser, loginChallenge);
      await assertError(
        await failure(
          api.oauth2.acceptOAuth2ConsentRequest({
            consentChallenge,
            acceptOAuth2ConsentRequest: { grant_scope: ["openid", "admin"] },
          }),
        ),
        400,
        "invalid_request",
      );
      // The login step is over: its operations answer 410 (GET) and 409.
      await assertError(
        await failure(api.oauth2.rejectOAuth2LoginRequest({ loginChallenge, rejectOAuth2Request: {} })),
        409,
      );
    });
  });
}

describe("Hydra 2.x flow: expiry and the 2017 mode", () => {
  test("an expired challenge is 404 and its verifier gives no code", async () => {
    const portico = await startOAuth2Portico({
      env: { URLS_LOGIN, URLS_CONSENT, CHALLENGE_TOKEN_LIFESPAN: "1s" },
    });
    try {
      const api = sdk(portico);
      await api.oauth2.createOAuth2Client({
        oAuth2Client: { client_id: "rp", redirect_uris: ["https://rp.example/cb"], scope: "openid" },
      });
      const browser = new Browser();
      const query = new URLSearchParams({
        response_type: "code",
        client_id: "rp",
        redirect_uri: "https://rp.example/cb",
        scope: "openid",
        state: "state-123456",
        nonce: "nonce-123456",
      });
      const loginChallenge = challengeOf(
        await browser.get(`${portico.url}/oauth2/auth?${query}`),
        URLS_LOGIN,
        "login_challenge",
      );
      const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "alice" },
      });
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await assertError(await failure(api.oauth2.getOAuth2LoginRequest({ loginChallenge })), 404);
      const late = await browser.get(redirect_to);
      assert.equal(late.status, 302);
      const location = new URL(late.headers.get("location") ?? "");
      assert.equal(location.searchParams.get("code"), null);
      assert.equal(location.searchParams.get("error"), "access_denied");
    } finally {
      await portico.stop();
    }
  });

  test("without URLS_LOGIN the 2017 flow runs and the 2.x request operations find nothing", async () => {
    const portico = await startOAuth2Portico();
    try {
      const api = sdk(portico);
      await api.oauth2.createOAuth2Client({
        oAuth2Client: { client_id: "rp", redirect_uris: ["https://rp.example/cb"], scope: "openid" },
      });
      const query = new URLSearchParams({
        response_type: "code",
        client_id: "rp",
        redirect_uri: "https://rp.example/cb",
        scope: "openid",
        state: "state-123456",
        nonce: "nonce-123456",
      });
      const started = await new Browser().get(`${portico.url}/oauth2/auth?${query}`);
      const consent = challengeOf(started, "https://consent.example/consent", "consent");
      await assertError(await failure(api.oauth2.getOAuth2LoginRequest({ loginChallenge: consent })), 404);
    } finally {
      await portico.stop();
    }
  });
});
