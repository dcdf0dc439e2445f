/**
 * The OpenID Foundation's OP conformance plans (oidcc-basic-certification-test-plan, oidcc-config,
 * oidcc-formpost-basic, oidcc-rp-initiated-logout, oidcc-backchannel-rp-initiated-logout) against
 * Portico in Hydra 2.x mode, on every backend, over real HTTP: what each module sends, and the answer
 * it expects. The first suite answers Hydra 2.x's login, consent and logout steps on the admin API as
 * the app's Hydra 2.x pages do (subject, remember, `amr: ["pwd"]`, the granted scopes and the
 * person's claims in `session.id_token`); the second walks the app's own Hydra 2.x pages (the
 * compiled server: `npm run build` first). tests/consent-app/certification.test.ts walks the 2017 flow.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { UserStore } from "@/lib/users/store.ts";
import { LogoutReceiver, sdk } from "@/tests/hydra2/support.ts";
import { Browser, codeFlowPath, redeemCode, sleep } from "@/tests/oauth2/support.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, basicAuth, type Portico, startPortico } from "@/tests/support/server.ts";
import { startedPortico } from "@/tests/support/started.ts";

const REDIRECT_URI = "https://rp.example.test/cb";
const POST_LOGOUT_URI = "https://rp.example.test/post_logout_redirect";
const POST_LOGOUT_QUERY_URI = "https://rp.example.test/post_logout_redirect?foo=bar";
const SUBJECT = "person-1";
const EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** 128 characters, as the suite sends. */
const state = () => randomBytes(96).toString("base64url");

function locationOf(response: Response): string {
  assert.ok([302, 303].includes(response.status), `a redirect, got ${response.status}`);
  return response.headers.get("location") ?? "";
}

/** The parameters of an answer sent to `base` (the client's redirect URI) in the query. */
function atClient(location: string, base = REDIRECT_URI): URLSearchParams {
  assert.ok(location.startsWith(base), `sent to the client: ${location}`);
  return new URL(location).searchParams;
}

for (const backend of BACKENDS) {
  describe(`the OpenID Foundation's OP plans in Hydra 2.x mode (${backend})`, { timeout: 180_000 }, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    let receiver: LogoutReceiver;
    let client: { id: string; secret: string };
    let second: { id: string; secret: string };

    before(async () => {
      receiver = await new LogoutReceiver().start();
      portico = await startPortico({ backend, hydraV2: true });
      api = sdk(portico);
      const fields = {
        redirect_uris: [REDIRECT_URI],
        post_logout_redirect_uris: [POST_LOGOUT_URI, POST_LOGOUT_QUERY_URI],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid profile email offline_access",
        backchannel_logout_uri: receiver.url,
        backchannel_logout_session_required: true,
      };
      const one = await api.oauth2.createOAuth2Client({ oAuth2Client: { ...fields, client_id: "cert-1" } });
      client = { id: "cert-1", secret: one.client_secret as string };
      const two = await api.oauth2.createOAuth2Client({
        oAuth2Client: { ...fields, client_id: "cert-2", backchannel_logout_uri: undefined },
      });
      second = { id: "cert-2", secret: two.client_secret as string };
    });
    after(async () => {
      await portico?.stop();
      await receiver?.stop();
    });

    const authUrl = (params: Record<string, string>, who = client) =>
      `${portico.url}/oauth2/auth?${new URLSearchParams({
        client_id: who.id,
        response_type: "code",
        scope: "openid",
        redirect_uri: REDIRECT_URI,
        ...params,
      })}`;

    /**
     * The Hydra 2.x steps as the app's pages answer them: a login that is not skipped is a sign-in
     * (remembered), a skipped one is accepted for the remembered subject; consent grants what was asked.
     * Answers the last response (at the client, or an error page).
     */
    async function through(browser: Browser, url: string, seen: { loginSkipped?: boolean } = {}) {
      let response = await browser.get(url);
      const login = new URL(locationOf(response));
      const loginChallenge = login.searchParams.get("login_challenge");
      if (loginChallenge === null) return response;
      const request = await api.oauth2.getOAuth2LoginRequest({ loginChallenge });
      seen.loginSkipped = request.skip;
      const accepted = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: request.skip
          ? { subject: request.subject }
          : { subject: SUBJECT, remember: true, remember_for: 0, amr: ["pwd"] },
      });
      response = await browser.get(accepted.redirect_to);
      const consentChallenge = new URL(locationOf(response)).searchParams.get("consent_challenge");
      if (consentChallenge === null) return response;
      const consent = await api.oauth2.getOAuth2ConsentRequest({ consentChallenge });
      const granted = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: {
          grant_scope: consent.requested_scope,
          grant_access_token_audience: consent.requested_access_token_audience,
          remember: !consent.skip,
          session: {
            id_token: { name: "Cert Ification", email: "certify@example.com", email_verified: true },
          },
        },
      });
      return browser.get(granted.redirect_to);
    }

    async function token(body: Record<string, string>, who = client): Promise<Response> {
      return fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: basicAuth(who.id, who.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams(body),
      });
    }

    async function redeem(code: string, who = client) {
      const response = await token(
        { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI },
        who,
      );
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as { id_token: string; access_token: string; refresh_token?: string };
    }

    async function verified(idToken: string, who = client) {
      const { payload } = await jwtVerify(
        idToken,
        createRemoteJWKSet(new URL(`${portico.url}/.well-known/jwks.json`)),
        { issuer: portico.url, audience: who.id },
      );
      return payload;
    }

    /** oidcc-server: a sign-in, the code, the tokens. */
    async function signedIn(browser = new Browser(), params: Record<string, string> = {}) {
      const sent = state();
      const back = atClient(
        locationOf(await through(browser, authUrl({ state: sent, nonce: "n-1", ...params }))),
      );
      assert.equal(back.get("state"), sent);
      const tokens = await redeem(back.get("code") as string);
      return { browser, tokens, claims: await verified(tokens.id_token) };
    }

    test("oidcc-ensure-request-without-nonce-succeeds-for-code-flow: a code, an ID token without nonce", async () => {
      const browser = new Browser();
      const back = atClient(locationOf(await through(browser, authUrl({ state: "s" }))));
      const claims = await verified((await redeem(back.get("code") as string)).id_token);
      assert.equal(claims.nonce, undefined);
      assert.equal(claims.sub, SUBJECT);
      // oidcc-idtoken-rs256 / ValidateServerJWKs: RS256, a kid the JWK set names, public keys only.
      const jwks = (await (await fetch(`${portico.url}/.well-known/jwks.json`)).json()) as {
        keys: Array<Record<string, unknown>>;
      };
      for (const key of jwks.keys) {
        assert.equal(key.kty, "RSA");
        assert.equal(key.d, undefined, "no private part");
      }
    });

    test("oidcc-codereuse: the second redemption is invalid_grant and revokes the first one's tokens", async () => {
      const browser = new Browser();
      const back = atClient(locationOf(await through(browser, authUrl({ state: "s", nonce: "n" }))));
      const code = back.get("code") as string;
      const first = await redeem(code);
      const again = await token({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI });
      assert.equal(again.status, 400);
      assert.equal(((await again.json()) as { error: string }).error, "invalid_grant");
      const userinfo = await fetch(`${portico.url}/userinfo`, {
        headers: { authorization: `Bearer ${first.access_token}` },
      });
      assert.equal(userinfo.status, 401, "the first access token is revoked (the suite warns otherwise)");
    });

    test("oidcc-userinfo-get / -post-header / -post-body and oidcc-scope-profile, -email", async () => {
      const { tokens } = await signedIn(new Browser(), { scope: "openid profile email" });
      const expect = { sub: SUBJECT, name: "Cert Ification", email: "certify@example.com" };
      const answers = [
        await fetch(`${portico.url}/userinfo`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        }),
        await fetch(`${portico.url}/userinfo`, {
          method: "POST",
          headers: { authorization: `Bearer ${tokens.access_token}` },
        }),
        await fetch(`${portico.url}/userinfo`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ access_token: tokens.access_token }),
        }),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 200, await answer.clone().text());
        const body = (await answer.json()) as Record<string, unknown>;
        for (const [key, value] of Object.entries(expect)) assert.equal(body[key], value, key);
      }
    });

    test("oidcc-max-age-1 and oidcc-prompt-login: a new sign-in, a later auth_time", async () => {
      const { browser, claims } = await signedIn();
      assert.equal(typeof claims.auth_time, "number");
      await sleep(2100);
      for (const params of [{ max_age: "1" }, { prompt: "login" }] as Array<Record<string, string>>) {
        const seen: { loginSkipped?: boolean } = {};
        const back = atClient(
          locationOf(await through(browser, authUrl({ state: "s", nonce: "n", ...params }), seen)),
        );
        assert.equal(seen.loginSkipped, false, JSON.stringify(params));
        const again = await verified((await redeem(back.get("code") as string)).id_token);
        assert.ok((again.auth_time as number) > (claims.auth_time as number), JSON.stringify(params));
        assert.equal(again.sub, claims.sub);
      }
    });

    test("oidcc-max-age-10000 and oidcc-id-token-hint: no sign-in, the same auth_time and person", async () => {
      const { browser, tokens, claims } = await signedIn();
      for (const params of [
        { max_age: "10000" },
        { prompt: "none", id_token_hint: tokens.id_token },
      ] as Array<Record<string, string>>) {
        const seen: { loginSkipped?: boolean } = {};
        const back = atClient(locationOf(await through(browser, authUrl({ state: "s", ...params }), seen)));
        assert.ok(back.get("code"), JSON.stringify([...back]));
        const again = await verified((await redeem(back.get("code") as string)).id_token);
        assert.equal(again.sub, claims.sub);
        assert.equal(again.auth_time, claims.auth_time, JSON.stringify(params));
      }
    });

    test("oidcc-refresh-token: offline_access with prompt=consent; the refreshed ID token keeps iss, sub, aud, auth_time; another client is refused", async () => {
      const { tokens, claims } = await signedIn(new Browser(), {
        scope: "openid offline_access",
        prompt: "consent",
      });
      assert.ok(tokens.refresh_token, "a refresh token");
      const wrong = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }, second);
      assert.equal(wrong.status, 400, await wrong.clone().text());
      assert.equal(((await wrong.json()) as { error: string }).error, "invalid_grant");
      // RefreshTokenRequestSteps: the client's scope again (AddScopeToTokenEndpointRequest), a second later.
      await sleep(1100);
      const refreshed = await token({
        grant_type: "refresh_token",
        refresh_token: tokens.refresh_token,
        scope: "openid offline_access",
      });
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      assert.equal(refreshed.headers.get("cache-control"), "no-store");
      assert.match(refreshed.headers.get("content-type") ?? "", /^application\/json/);
      const body = (await refreshed.json()) as {
        id_token: string;
        refresh_token: string;
        token_type: string;
        expires_in: number;
      };
      assert.equal(body.token_type.toLowerCase(), "bearer");
      assert.ok(body.expires_in > 0);
      const again = await verified(body.id_token);
      for (const key of ["iss", "sub", "aud", "auth_time", "azp"])
        assert.deepEqual(again[key], claims[key], key);
      assert.notEqual(again.iat, claims.iat, "CompareIdTokenClaims: a new iat");
      assert.equal(again.nonce, undefined, "no nonce in a refreshed ID token");
      // The rotated refresh token works in turn, with a narrower scope too.
      const narrower = await token({
        grant_type: "refresh_token",
        refresh_token: body.refresh_token,
        scope: "openid",
      });
      assert.equal(narrower.status, 200, await narrower.clone().text());
      assert.equal(((await narrower.json()) as { scope: string }).scope, "openid");
    });

    test("oidcc-ensure-post-request-succeeds and oidcc-response-mode-form-post: a POSTed request, a form_post answer", async () => {
      const browser = new Browser();
      // The POST: the login challenge.
      const posted = await browser.post(`${portico.url}/oauth2/auth`, {
        client_id: client.id,
        response_type: "code",
        scope: "openid",
        redirect_uri: REDIRECT_URI,
        state: "posted",
        nonce: "n",
      });
      assert.ok(new URL(locationOf(posted)).searchParams.get("login_challenge"));
      const sent = state();
      const page = await through(browser, authUrl({ state: sent, nonce: "n", response_mode: "form_post" }));
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, new RegExp(`action="${REDIRECT_URI.replace(/[.]/g, "\\.")}"`));
      assert.match(html, new RegExp(`name="state" value="${sent}"`));
      assert.match(html, /name="code" value="[^"]+"/);
    });

    test("oidcc-prompt-none-not-logged-in, -ensure-registered-redirect-uri, -redirect-uri-query-mismatch, -response-type-missing", async () => {
      const browser = new Browser();
      const none = atClient(locationOf(await browser.get(authUrl({ state: "s", prompt: "none" }))));
      assert.equal(none.get("error"), "login_required");
      assert.equal(none.get("state"), "s");
      for (const redirect of ["https://rp.example.test/other", `${REDIRECT_URI}?foo=bar`]) {
        const answer = await browser.get(authUrl({ state: "s", redirect_uri: redirect }));
        assert.equal(answer.status, 400, redirect);
        assert.equal(answer.headers.get("location"), null);
      }
      // oidcc-ensure-redirect-uri-in-authorization-request: an error page, never the sign-in step.
      const noRedirect = await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({ client_id: client.id, response_type: "code", scope: "openid", state: "s", nonce: "n" })}`,
      );
      assert.equal(noRedirect.status, 400);
      assert.equal(noRedirect.headers.get("location"), null);
      const missing = await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({ client_id: client.id, scope: "openid", redirect_uri: REDIRECT_URI, state: "s" })}`,
      );
      // OIDCCResponseTypeMissing: an error page, or the error at the client (here: invalid_request, with state).
      const back = atClient(locationOf(missing));
      assert.equal(back.get("error"), "invalid_request");
      assert.equal(back.get("state"), "s");
    });

    test("oidcc-server-client-secret-post, -ensure-other-scope-order-succeeds, -display, -ui-locales, -claims-locales, -login-hint", async () => {
      const browser = new Browser();
      const back = atClient(
        locationOf(
          await through(
            browser,
            authUrl({
              state: "s",
              scope: "email openid",
              display: "page",
              ui_locales: "se",
              claims_locales: "se",
              login_hint: "certify@example.com",
            }),
          ),
        ),
      );
      const response = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: back.get("code") as string,
          redirect_uri: REDIRECT_URI,
          client_id: client.id,
          client_secret: client.secret,
        }),
      });
      // The variant registers its client for client_secret_post; one registered for basic is refused it, as in Hydra.
      assert.equal(response.status, 401, await response.clone().text());
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "cert-post",
          redirect_uris: [REDIRECT_URI],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
          token_endpoint_auth_method: "client_secret_post",
        },
      });
      const post = { id: "cert-post", secret: created.client_secret as string };
      const again = atClient(locationOf(await through(new Browser(), authUrl({ state: "p" }, post))));
      const posted = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code: again.get("code") as string,
          redirect_uri: REDIRECT_URI,
          client_id: post.id,
          client_secret: post.secret,
        }),
      });
      assert.equal(posted.status, 200, await posted.clone().text());
      assert.equal(
        (await verified(((await posted.json()) as { id_token: string }).id_token, post)).sub,
        SUBJECT,
      );
    });

    test("oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported, oidcc-claims-essential", async () => {
      const browser = new Browser();
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const request = `${b64({ alg: "none" })}.${b64({ iss: client.id, aud: portico.url, client_id: client.id, response_type: "code", scope: "openid", redirect_uri: REDIRECT_URI, state: "rs", nonce: "rn" })}.`;
      const discovery = (await (
        await fetch(`${portico.url}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      // Discovery says no, so "rejected as unsupported" is the answer the modules accept, with state.
      assert.equal(discovery.request_parameter_supported, false);
      assert.equal(discovery.request_uri_parameter_supported, false);
      assert.equal(discovery.claims_parameter_supported, false);
      const answer = atClient(locationOf(await browser.get(authUrl({ state: "rs", nonce: "rn", request }))));
      assert.equal(answer.get("error"), "request_not_supported");
      assert.equal(answer.get("state"), "rs");
      const uri = atClient(
        locationOf(
          await browser.get(authUrl({ state: "ru", request_uri: "https://rp.example.test/request.jwt" })),
        ),
      );
      assert.equal(uri.get("error"), "request_uri_not_supported");
      assert.equal(uri.get("state"), "ru");
      // oidcc-claims-essential: the claims parameter is ignored, the flow succeeds.
      const claims = await through(
        new Browser(),
        authUrl({ state: "c", claims: JSON.stringify({ userinfo: { name: { essential: true } } }) }),
      );
      assert.ok(atClient(locationOf(claims)).get("code"));
    });

    test("oidcc-formpost-basic: errors, rejections and a remembered sign-in answer by form_post too", async () => {
      const formOf = async (response: Response) => {
        assert.equal(
          response.status,
          200,
          `a form_post page, got ${response.status} ${response.headers.get("location")}`,
        );
        const html = await response.text();
        assert.match(html, /method="post"/i);
        assert.ok(html.includes(`action="${REDIRECT_URI}"`), html.slice(0, 500));
        return html;
      };
      // oidcc-prompt-none-not-logged-in with form_post.
      const browser = new Browser();
      const none = await formOf(
        await browser.get(authUrl({ state: "fp", prompt: "none", response_mode: "form_post" })),
      );
      assert.match(none, /name="error" value="login_required"/);
      assert.match(none, /name="state" value="fp"/);
      // A rejected login (the pages' Cancel), a rejected consent (Deny).
      for (const step of ["login", "consent"] as const) {
        const flow = new Browser();
        let response = await flow.get(authUrl({ state: `fp-${step}`, response_mode: "form_post" }));
        const loginChallenge = new URL(locationOf(response)).searchParams.get("login_challenge") as string;
        if (step === "login") {
          const { redirect_to } = await api.oauth2.rejectOAuth2LoginRequest({
            loginChallenge,
            rejectOAuth2Request: { error: "access_denied" },
          });
          response = await flow.get(redirect_to);
        } else {
          const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
            loginChallenge,
            acceptOAuth2LoginRequest: { subject: SUBJECT },
          });
          const consentChallenge = new URL(locationOf(await flow.get(redirect_to))).searchParams.get(
            "consent_challenge",
          ) as string;
          const rejected = await api.oauth2.rejectOAuth2ConsentRequest({
            consentChallenge,
            rejectOAuth2Request: { error: "access_denied" },
          });
          response = await flow.get(rejected.redirect_to);
        }
        const html = await formOf(response);
        assert.match(html, /name="error" value="access_denied"/, step);
        assert.match(html, new RegExp(`name="state" value="fp-${step}"`), step);
      }
      // oidcc-prompt-none-logged-in with form_post.
      const { browser: signedBrowser } = await signedIn();
      const silent = await formOf(
        await through(
          signedBrowser,
          authUrl({ state: "fp-silent", prompt: "none", response_mode: "form_post" }),
        ),
      );
      assert.match(silent, /name="code" value="[^"]+"/);
    });

    describe("rp-initiated logout", () => {
      /** Starts a logout; accepts the logout request as the app's /logout page does; the answer. */
      async function logout(browser: Browser, params: Record<string, string>): Promise<Response> {
        const response = await browser.get(
          `${portico.url}/oauth2/sessions/logout?${new URLSearchParams(params)}`,
        );
        if (response.status !== 302) return response;
        const challenge = new URL(locationOf(response)).searchParams.get("logout_challenge");
        if (challenge === null) return response;
        const { redirect_to } = await api.oauth2.acceptOAuth2LogoutRequest({ logoutChallenge: challenge });
        return browser.get(redirect_to);
      }

      async function signedOut(browser: Browser) {
        const after = await browser.get(authUrl({ state: "again", prompt: "none" }));
        assert.equal(atClient(locationOf(after)).get("error"), "login_required");
      }

      test("oidcc-rp-initiated-logout: only state at the post-logout URI; then login_required", async () => {
        const { browser, tokens } = await signedIn();
        const sent = state();
        const back = await logout(browser, {
          id_token_hint: tokens.id_token,
          post_logout_redirect_uri: POST_LOGOUT_URI,
          state: sent,
        });
        const returned = atClient(locationOf(back), POST_LOGOUT_URI);
        assert.deepEqual([...returned.keys()], ["state"]);
        assert.equal(returned.get("state"), sent);
        await signedOut(browser);
      });

      test("oidcc-rp-initiated-logout-no-state: the post-logout URI without any state", async () => {
        const { browser, tokens } = await signedIn();
        const back = await logout(browser, {
          id_token_hint: tokens.id_token,
          post_logout_redirect_uri: POST_LOGOUT_URI,
        });
        assert.equal(locationOf(back), POST_LOGOUT_URI);
        await signedOut(browser);
      });

      test("oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: the registered query kept, state added", async () => {
        const { browser, tokens } = await signedIn();
        const back = await logout(browser, {
          id_token_hint: tokens.id_token,
          post_logout_redirect_uri: POST_LOGOUT_QUERY_URI,
          state: "st",
        });
        const returned = atClient(locationOf(back), "https://rp.example.test/post_logout_redirect?");
        assert.equal(returned.get("foo"), "bar");
        assert.equal(returned.get("state"), "st");
        await signedOut(browser);
      });

      test("oidcc-rp-initiated-logout-bad-post-logout-redirect-uri and -modified-id-token-hint: an error, never the client", async () => {
        const { browser, tokens } = await signedIn();
        const [head, payload, signature] = tokens.id_token.split(".") as [string, string, string];
        const modified = `${head}.${payload}.${signature.slice(0, -4)}${signature.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
        // ChangeIdTokenToAlgNone: the same claims under alg none, no signature.
        const algNone = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
        for (const params of [
          {
            id_token_hint: tokens.id_token,
            post_logout_redirect_uri: `${POST_LOGOUT_URI}/other`,
            state: "s",
          },
          { id_token_hint: modified, post_logout_redirect_uri: POST_LOGOUT_URI, state: "s" },
          { id_token_hint: algNone, post_logout_redirect_uri: POST_LOGOUT_URI, state: "s" },
        ]) {
          const answer = await browser.get(
            `${portico.url}/oauth2/sessions/logout?${new URLSearchParams(params)}`,
          );
          const location = answer.headers.get("location") ?? "";
          assert.ok(
            !location.startsWith("https://rp.example.test"),
            `not to the client: ${answer.status} ${location}`,
          );
        }
        // Still signed in.
        assert.ok(
          atClient(locationOf(await through(browser, authUrl({ state: "s", prompt: "none" })))).get("code"),
        );
      });

      test("oidcc-rp-initiated-logout-only-state and -no-params: signed out, never sent to the client", async () => {
        for (const params of [{ state: "s" }, {}] as Array<Record<string, string>>) {
          const { browser } = await signedIn();
          const answer = await logout(browser, params);
          const location = answer.headers.get("location") ?? "";
          assert.ok(!location.startsWith("https://rp.example.test"), `not to the client: ${location}`);
          await signedOut(browser);
        }
      });

      test("oidcc-backchannel-rp-initiated-logout: a logout token for the session's sid", async () => {
        const { browser, tokens, claims } = await signedIn(new Browser(), {
          scope: "openid offline_access",
          prompt: "consent",
        });
        const before = receiver.tokens.length;
        const back = await logout(browser, {
          id_token_hint: tokens.id_token,
          post_logout_redirect_uri: POST_LOGOUT_URI,
          state: "s",
        });
        atClient(locationOf(back), POST_LOGOUT_URI);
        const received = (await receiver.waitFor(before + 1)).slice(before);
        const logoutToken = received.find((one) => decodeJwt(one).sid === claims.sid) as string;
        assert.ok(logoutToken, "a logout token with the ID token's sid");
        const payload = await verified(logoutToken);
        assert.equal(payload.sub, claims.sub);
        assert.deepEqual(payload.events, { [EVENT]: {} });
        assert.equal(payload.nonce, undefined);
        assert.ok(payload.jti && payload.iat);
      });

      test("oidcc-rp-initiated-logout-no-post-logout-redirect-uri and -no-id-token-hint, -client-id", async () => {
        {
          const { browser, tokens } = await signedIn();
          const answer = await logout(browser, { id_token_hint: tokens.id_token, state: "s" });
          const location = answer.headers.get("location") ?? "";
          assert.ok(!location.startsWith("https://rp.example.test"), `not to the client: ${location}`);
          await signedOut(browser);
        }
        {
          const { browser } = await signedIn();
          // As Hydra 2.x: post_logout_redirect_uri without id_token_hint is an error page (ExpectIdTokenHintRequiredErrorPage).
          const answer = await logout(browser, { post_logout_redirect_uri: POST_LOGOUT_URI, state: "s" });
          assert.equal(answer.status, 400);
          assert.equal(answer.headers.get("location"), null);
          assert.match(await answer.text(), /could not be completed/);
        }
        {
          const { browser, tokens } = await signedIn();
          const answer = await logout(browser, {
            id_token_hint: tokens.id_token,
            client_id: client.id,
            post_logout_redirect_uri: POST_LOGOUT_URI,
            state: "s",
          });
          assert.equal(atClient(locationOf(answer), POST_LOGOUT_URI).get("state"), "s");
          await signedOut(browser);
        }
      });
    });
  });
}

const EMAIL = "certify@example.com";
const PASSWORD = "a long passphrase for the conformance suite";

for (const backend of BACKENDS) {
  describe(`the OpenID Foundation's OP plans through the app's Hydra 2.x pages (${backend})`, {
    timeout: 180_000,
  }, () => {
    let client: { id: string; secret: string };
    const fixture = startedPortico({ backend, compiled: true, hydraV2: true }, async ({ portico, db }) => {
      await new UserStore(db).create({ email: EMAIL, password: PASSWORD, name: "Cert Ification" });
      const created = await sdk(portico).oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "cert-pages",
          client_name: "Conformance suite",
          redirect_uris: [REDIRECT_URI],
          post_logout_redirect_uris: [POST_LOGOUT_URI],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          scope: "openid profile email offline_access",
        },
      });
      client = { id: "cert-pages", secret: created.client_secret as string };
    });

    const authPath = (params: Record<string, string>) =>
      codeFlowPath(client.id, { redirect_uri: REDIRECT_URI, ...params });

    async function redeem(code: string) {
      const tokens = await redeemCode(fixture.portico, client, code, REDIRECT_URI);
      const { payload } = await jwtVerify(
        tokens.id_token,
        createRemoteJWKSet(new URL(`${fixture.portico.url}/.well-known/jwks.json`)),
        { issuer: fixture.portico.url, audience: client.id },
      );
      return { ...tokens, claims: payload };
    }

    /** Through the pages: the sign-in form when it shows, the consent screen when it shows; at the client. */
    async function walk(browser: PageClient, params: Record<string, string>, scope: string[] = ["openid"]) {
      const shown = { login: false, consent: false };
      let page = await browser.follow(await browser.get(authPath(params)));
      if (page.body.includes('name="password"')) {
        shown.login = true;
        page = await browser.follow(
          await browser.submit(page.url as string, page.body, {
            email: EMAIL,
            password: PASSWORD,
            // Remember me unticked, as a tester may leave it: the sign-in still lasts the browser session.
          }),
        );
      }
      if (page.url && browser.isOurs(page.url) && page.body.includes('name="decision"')) {
        shown.consent = true;
        for (const one of scope) assert.ok(page.body.includes(`value="${one}"`), `the screen offers ${one}`);
        page = await browser.follow(
          await browser.submit(page.url, page.body, { decision: "allow", scope, remember: "on" }),
        );
      }
      assert.ok(
        page.url?.startsWith(REDIRECT_URI),
        `${JSON.stringify(params)} ${JSON.stringify(shown)}: ${page.status} ${page.url} ${page.body
          .replace(/<script[\s\S]*?<\/script>/g, "")
          .replace(/<[^>]+>/g, " ")
          .replace(/\s+/g, " ")
          .slice(0, 600)}`,
      );
      return { back: atClient(page.url ?? ""), shown };
    }

    test("oidcc-server, oidcc-scope-email/-profile (userinfo), oidcc-max-age-1, oidcc-prompt-login, oidcc-id-token-hint, oidcc-refresh-token, oidcc-rp-initiated-logout", async () => {
      const browser = new PageClient(fixture.portico.url, fixture.portico.url);
      const first = await walk(browser, { state: "s1", nonce: "n1", scope: "openid profile email" }, [
        "openid",
        "profile",
        "email",
      ]);
      assert.deepEqual(first.shown, { login: true, consent: true });
      const tokens = await redeem(first.back.get("code") as string);
      assert.equal(tokens.claims.nonce, "n1");
      const userinfo = (await (
        await fetch(`${fixture.portico.url}/userinfo`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        })
      ).json()) as Record<string, unknown>;
      assert.equal(userinfo.sub, tokens.claims.sub);
      assert.equal(userinfo.name, "Cert Ification");
      assert.equal(userinfo.email, EMAIL);

      // oidcc-prompt-none-logged-in / oidcc-id-token-hint: no page at all.
      const hinted = await walk(browser, { state: "s2", prompt: "none", id_token_hint: tokens.id_token });
      assert.deepEqual(hinted.shown, { login: false, consent: false });
      assert.equal((await redeem(hinted.back.get("code") as string)).claims.sub, tokens.claims.sub);

      await sleep(2100);
      for (const params of [{ max_age: "1" }, { prompt: "login" }] as Array<Record<string, string>>) {
        const again = await walk(browser, { state: "s3", nonce: "n3", ...params });
        assert.equal(again.shown.login, true, JSON.stringify(params));
        const claims = (await redeem(again.back.get("code") as string)).claims;
        assert.ok((claims.auth_time as number) > (tokens.claims.auth_time as number), JSON.stringify(params));
        assert.equal(claims.sub, tokens.claims.sub);
      }

      // oidcc-refresh-token: offline_access with prompt=consent.
      const offline = await walk(
        browser,
        { state: "s4", scope: "openid offline_access", prompt: "consent" },
        ["openid", "offline_access"],
      );
      assert.equal(offline.shown.consent, true);
      const withRefresh = await redeem(offline.back.get("code") as string);
      assert.ok(withRefresh.refresh_token, "a refresh token");
      const refreshed = await fetch(`${fixture.portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: basicAuth(client.id, client.secret),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: withRefresh.refresh_token }),
      });
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      const refreshedClaims = decodeJwt(((await refreshed.json()) as { id_token: string }).id_token);
      for (const key of ["iss", "sub", "aud", "auth_time"])
        assert.deepEqual(refreshedClaims[key], withRefresh.claims[key], key);

      // oidcc-rp-initiated-logout through the /logout page.
      const sent = state();
      let page = await browser.follow(
        await browser.get(
          `/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: withRefresh.id_token, post_logout_redirect_uri: POST_LOGOUT_URI, state: sent })}`,
        ),
      );
      if (page.url && browser.isOurs(page.url)) {
        assert.match(page.body, /Sign out/);
        page = await browser.follow(await browser.submit(page.url, page.body, { decision: "sign_out" }));
      }
      const returned = atClient(page.url ?? "", POST_LOGOUT_URI);
      assert.deepEqual([...returned.keys()], ["state"]);
      assert.equal(returned.get("state"), sent);
      const after = await browser.follow(await browser.get(authPath({ state: "s5", prompt: "none" })));
      assert.equal(atClient(after.url ?? "").get("error"), "login_required");

      // oidcc-rp-initiated-logout-no-params: the confirmation, then a "signed out" page of Portico's own.
      await walk(browser, { state: "s6" });
      let bare = await browser.follow(await browser.get("/oauth2/sessions/logout"));
      assert.ok(bare.url && browser.isOurs(bare.url), `Portico's own page: ${bare.url}`);
      bare = await browser.follow(await browser.submit(bare.url, bare.body, { decision: "sign_out" }));
      assert.equal(bare.status, 200);
      assert.match(bare.body, /You are signed out/);
      const gone = await browser.follow(await browser.get(authPath({ state: "s7", prompt: "none" })));
      assert.equal(atClient(gone.url ?? "").get("error"), "login_required");
    });
  });
}
