/**
 * A logout token is no ID token (Back-Channel Logout 1.0 §2.4: its explicit
 * `typ: logout+jwt` keeps the two apart), though the same key signs both. On
 * every backend: a logout token a relying party received is refused as
 * `id_token_hint`, at `/oauth2/auth` (invalid_request to the client, with
 * state and iss, as openid-client reads it) and at the end-session endpoint
 * (the error page), while the ID token of the same sign-in is still accepted
 * at both.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeProtectedHeader } from "jose";
import * as oidc from "openid-client";
import { challengeOf, clientWithCode, LogoutReceiver, sdk } from "@/tests/hydra2/support.ts";
import { Browser, startOAuth2Portico, type TestClient } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const URLS_LOGOUT = "https://login.example/logout";

for (const backend of BACKENDS) {
  describe(`a logout token is no id_token_hint (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    let receiver: LogoutReceiver;
    let client: TestClient;
    let config: oidc.Configuration;
    let idToken: string;
    let logoutToken: string;

    before(async () => {
      receiver = await new LogoutReceiver().start();
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT } });
      api = sdk(portico);
      // A sign-in through openid-client, then its session ended on the admin API: the client
      // holds the sign-in's ID token and the logout token that announced its end.
      const flow = await clientWithCode(
        portico,
        {
          client_id: "rp-hint",
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
          post_logout_redirect_uris: ["https://rp.example/signed-out"],
          backchannel_logout_uri: receiver.url,
          backchannel_logout_session_required: true,
        },
        {
          urls: { login: URLS_LOGIN, consent: URLS_CONSENT },
          login: { subject: "hanna", remember: true, remember_for: 3600 },
          consent: { grant_scope: ["openid"] },
        },
      );
      ({ client, config } = flow);
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(flow.back.headers.get("location") ?? ""),
        {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          idTokenExpected: true,
        },
      );
      idToken = tokens.id_token as string;
      const sid = tokens.claims()?.sid as string;
      await api.oauth2.revokeOAuth2LoginSessions({ sid });
      [logoutToken] = (await receiver.waitFor(1)) as [string];
      assert.equal(decodeProtectedHeader(logoutToken).typ, "logout+jwt");
    });
    after(async () => {
      await portico?.stop();
      await receiver?.stop();
    });

    /** The first answer of /oauth2/auth to a request with this id_token_hint. */
    async function authorizeWithHint(hint: string, state: string) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: "openid",
        state,
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: "S256",
        id_token_hint: hint,
      });
      return new Browser().get(url.href);
    }

    test("/oauth2/auth: invalid_request to the client, as openid-client reads it; the ID token still goes on", async () => {
      const state = oidc.randomState();
      const refused = await authorizeWithHint(logoutToken, state);
      assert.equal(refused.status, 302);
      const callback = new URL(refused.headers.get("location") ?? "");
      assert.equal(`${callback.origin}${callback.pathname}`, client.redirectUri);
      await assert.rejects(
        oidc.authorizationCodeGrant(config, callback, { expectedState: state }),
        (error: unknown) => {
          assert.ok(error instanceof oidc.AuthorizationResponseError);
          assert.equal(error.error, "invalid_request");
          assert.match(error.error_description ?? "", /id_token_hint/);
          return true;
        },
      );

      const accepted = await authorizeWithHint(idToken, oidc.randomState());
      const loginChallenge = challengeOf(accepted, URLS_LOGIN, "login_challenge");
      const loginRequest = await api.oauth2.getOAuth2LoginRequest({ loginChallenge });
      assert.equal(loginRequest.oidc_context?.id_token_hint_claims?.sub, "hanna");
    });

    test("end-session endpoint: the error page, never the logout step; the ID token still goes on", async () => {
      const refused = await new Browser().get(
        oidc.buildEndSessionUrl(config, {
          id_token_hint: logoutToken,
          post_logout_redirect_uri: "https://rp.example/signed-out",
        }).href,
      );
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /id_token_hint/);

      const accepted = await new Browser().get(
        oidc.buildEndSessionUrl(config, {
          id_token_hint: idToken,
          post_logout_redirect_uri: "https://rp.example/signed-out",
        }).href,
      );
      assert.equal(accepted.status, 302);
      const location = new URL(accepted.headers.get("location") ?? "");
      assert.ok(location.searchParams.get("logout_challenge"), location.href);
    });
  });
}
