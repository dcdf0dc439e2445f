/**
 * UserInfo (OpenID Connect Core §5.3) over real HTTP on every backend:
 * oauth4webapi and openid-client read it as relying parties do; the claims
 * are the consented ones for the grant, narrowed by the token's scopes; `sub`
 * is the ID token's; every bad token gets RFC 6750's 401/403 with
 * WWW-Authenticate; CORS answers any origin without credentials.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oauth from "oauth4webapi";
import * as oidc from "openid-client";
import {
  Browser,
  ConsentApp,
  consentIdOf,
  credentialsOf,
  postForm,
  randomValue,
  registerClient,
  relyingParty,
  responseParams,
  startOAuth2Portico,
  type TestClient,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const CLAIMS = { name: "Ann Example", email: "ann@example.com", email_verified: false, favourite: "blue" };

for (const backend of BACKENDS) {
  describe(`UserInfo (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let web: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      web = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token", "implicit"],
        response_types: ["code", "token", "id_token"],
        scope: "openid offline profile email api",
      });
    });
    after(() => portico.stop());

    /** A code flow through openid-client; answers its tokens. */
    async function signIn(scope: string, subject = "user-1") {
      const config = await relyingParty(portico, web);
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const browser = new Browser();
      const started = await browser.get(
        oidc.buildAuthorizationUrl(config, { redirect_uri: web.redirectUri, scope, state, nonce }).href,
      );
      const id = consentIdOf(started);
      const wire = await consentApp.request(id);
      const accepted = await consentApp.accept(id, {
        subject,
        grantScopes: wire.requestedScopes,
        idTokenExtra: CLAIMS,
        authTime: new Date().toISOString(),
      });
      assert.equal(accepted.status, 204);
      const back = await browser.get(wire.redirectUrl);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get("location") ?? ""), {
        expectedState: state,
        expectedNonce: nonce,
      });
      return { tokens, config };
    }

    function call(
      token: string | undefined,
      init: { method?: string; body?: URLSearchParams; headers?: Record<string, string> } = {},
    ) {
      return fetch(`${portico.url}/userinfo`, {
        method: init.method ?? "GET",
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
        body: init.body,
      });
    }

    test("discovery advertises it; openid-client reads sub and the consented claims, sub checked against the ID token", async () => {
      const document = (await (
        await fetch(`${portico.url}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      assert.equal(document.userinfo_endpoint, `${portico.url}/userinfo`);
      const { tokens, config } = await signIn("openid profile email");
      const sub = tokens.claims()?.sub as string;
      assert.equal(sub, "user-1");
      const info = await oidc.fetchUserInfo(config, tokens.access_token, sub);
      assert.deepEqual({ ...info }, { ...CLAIMS, sub });
    });

    test("oauth4webapi: GET and POST with the header, POST with the form body", async () => {
      const { tokens } = await signIn("openid email");
      const as = await oauth.processDiscoveryResponse(
        new URL(portico.url),
        await oauth.discoveryRequest(new URL(portico.url), { [oauth.allowInsecureRequests]: true }),
      );
      const client: oauth.Client = { client_id: web.id };
      const response = await oauth.userInfoRequest(as, client, tokens.access_token, {
        [oauth.allowInsecureRequests]: true,
      });
      const info = await oauth.processUserInfoResponse(as, client, "user-1", response);
      // Only the email scope's claims and the app's own: no name without profile.
      assert.deepEqual(
        { ...info },
        { sub: "user-1", email: CLAIMS.email, email_verified: false, favourite: "blue" },
      );
      const posted = await call(tokens.access_token, { method: "POST" });
      assert.equal(posted.status, 200);
      assert.equal(((await posted.json()) as { sub: string }).sub, "user-1");
      const inBody = await call(undefined, {
        method: "POST",
        body: new URLSearchParams({ access_token: tokens.access_token }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(inBody.status, 200);
      assert.equal(inBody.headers.get("cache-control"), "no-store");
      const both = await call(tokens.access_token, {
        method: "POST",
        body: new URLSearchParams({ access_token: tokens.access_token }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(both.status, 400);
    });

    test("a token narrowed on refresh releases only its scopes' claims", async () => {
      const { tokens, config } = await signIn("openid offline profile email");
      const narrowed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string, {
        scope: "openid profile",
      });
      const info = (await (await call(narrowed.access_token)).json()) as Record<string, unknown>;
      assert.deepEqual(info, { sub: "user-1", name: CLAIMS.name, favourite: "blue" });
    });

    test("an implicit token works too", async () => {
      const browser = new Browser();
      const state = randomValue();
      const started = await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "token",
          client_id: web.id,
          redirect_uri: web.redirectUri,
          scope: "openid profile",
          state,
        })}`,
      );
      const id = consentIdOf(started);
      const wire = await consentApp.request(id);
      await consentApp.accept(id, {
        subject: "user-2",
        grantScopes: wire.requestedScopes,
        idTokenExtra: CLAIMS,
      });
      const answer = responseParams(await browser.get(wire.redirectUrl), "fragment");
      const info = (await (await call(answer.get("access_token") as string)).json()) as Record<
        string,
        unknown
      >;
      assert.deepEqual(info, { sub: "user-2", name: CLAIMS.name, favourite: "blue" });
    });

    test("unknown, revoked and refresh tokens: 401 invalid_token; no openid: 403 insufficient_scope", async () => {
      const { tokens, config } = await signIn("openid offline");
      const expectInvalid = async (response: Response, name: string) => {
        assert.equal(response.status, 401, name);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/, name);
        assert.equal(((await response.json()) as { error: string }).error, "invalid_token", name);
      };
      await expectInvalid(await call("not-a-token"), "an unknown token");
      await expectInvalid(await call(tokens.refresh_token), "a refresh token");
      await expectInvalid(
        await call(undefined, { headers: { authorization: "Bearer" } }),
        "Bearer, no token",
      );
      await oidc.tokenRevocation(config, tokens.access_token);
      await expectInvalid(await call(tokens.access_token), "a revoked token");

      // A person's token without openid.
      const browser = new Browser();
      const started = await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "token",
          client_id: web.id,
          redirect_uri: web.redirectUri,
          scope: "profile api",
          state: randomValue(),
        })}`,
      );
      const id = consentIdOf(started);
      const wire = await consentApp.request(id);
      await consentApp.accept(id, { subject: "user-3", grantScopes: wire.requestedScopes });
      const answer = responseParams(await browser.get(wire.redirectUrl), "fragment");
      const forbidden = await call(answer.get("access_token") as string);
      assert.equal(forbidden.status, 403);
      assert.match(forbidden.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
      assert.match(forbidden.headers.get("www-authenticate") ?? "", /scope="openid"/);
    });

    test("no bearer token at all (none, or Basic): 401 with a bare challenge, no error code (RFC 6750 §3.1)", async () => {
      for (const [name, headers] of [
        ["no Authorization header", {}],
        ["Basic", { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }],
      ] as const) {
        for (const method of ["GET", "POST"]) {
          const response = await call(undefined, { method, headers });
          assert.equal(response.status, 401, `${name} ${method}`);
          assert.equal(
            response.headers.get("www-authenticate"),
            'Bearer realm="portico"',
            `${name} ${method}`,
          );
          assert.equal(await response.text(), "", `${name} ${method}: no error in the body either`);
          assert.equal(response.headers.get("access-control-allow-origin"), "*");
          assert.equal(response.headers.get("cache-control"), "no-store");
        }
      }
      // Basic is another scheme, not a second token: a token in the form body is read.
      const { tokens } = await signIn("openid");
      const inBody = await call(undefined, {
        method: "POST",
        body: new URLSearchParams({ access_token: tokens.access_token }),
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from("a:b").toString("base64")}`,
        },
      });
      assert.equal(inBody.status, 200);
    });

    test("a client_credentials token speaks for no end user: 401 invalid_token, even with openid", async () => {
      const machine = await registerClient(portico, {
        grant_types: ["client_credentials"],
        scope: "openid api",
      });
      for (const scope of ["openid", "openid api", "api"]) {
        const issued = await postForm(
          portico,
          "/oauth2/token",
          { grant_type: "client_credentials", scope },
          credentialsOf(machine),
        );
        assert.equal(issued.status, 200, issued.text);
        const response = await call(issued.json.access_token as string);
        assert.equal(response.status, 401, scope);
        const challenge = response.headers.get("www-authenticate") ?? "";
        assert.match(challenge, /^Bearer error="invalid_token"/, scope);
        assert.match(challenge, /error_description="The access token was not issued to an end user"/, scope);
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body.error, "invalid_token");
        assert.equal(body.sub, undefined, "no subject at all");
      }
    });

    test("CORS: any origin, no credentials, preflight answered", async () => {
      const { tokens } = await signIn("openid");
      const preflight = await fetch(`${portico.url}/userinfo`, {
        method: "OPTIONS",
        headers: {
          origin: "https://spa.example",
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
      assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /authorization/);
      assert.equal(preflight.headers.get("access-control-allow-credentials"), null);
      const response = await call(tokens.access_token, { headers: { origin: "https://spa.example" } });
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
      const denied = await call("nope", { headers: { origin: "https://spa.example" } });
      assert.equal(denied.headers.get("access-control-allow-origin"), "*");
      assert.match(denied.headers.get("access-control-expose-headers") ?? "", /www-authenticate/);
    });
  });
}
