/**
 * OpenID Connect conformance points over real HTTP, on every backend: what a
 * token narrowed on refresh releases (UserInfo and the refreshed ID token),
 * UserInfo's errors for a form it cannot read (RFC 6750 §3), `max_age` of any
 * size, `ui_locales` as a preference that never fails a request (OpenID
 * Connect Core §3.1.2.1, RP-Initiated Logout 1.0 §2), and the scopes
 * discovery lists (the OpenID Foundation's scope modules read them).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import {
  Browser,
  ConsentApp,
  consentIdOf,
  credentialsOf,
  postForm,
  randomValue,
  registerClient,
  responseParams,
  startOAuth2Portico,
  type TestClient,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const LOGOUT_URL = "https://consent.example/logout";

/** The claims the login & consent app consents to for profile and email: its username is the address. */
const CLAIMS = {
  name: "Ann Example",
  updated_at: 1_700_000_000,
  preferred_username: "ann@example.com",
  email: "ann@example.com",
  email_verified: true,
};

for (const backend of BACKENDS) {
  describe(`OpenID Connect conformance (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let web: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { LOGOUT_URL } });
      consentApp = await ConsentApp.for(portico);
      web = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline profile email",
      });
    });
    after(() => portico.stop());

    function authorizationUrl(extra: Record<string, string> = {}): string {
      const params = {
        response_type: "code",
        client_id: web.id,
        redirect_uri: web.redirectUri,
        scope: "openid offline profile email",
        state: randomValue(),
        nonce: randomValue(),
        ...extra,
      };
      return `${portico.url}/oauth2/auth?${new URLSearchParams(params)}`;
    }

    /** A code flow whose consent grants every requested scope with `claims`; answers the token response. */
    async function tokensFor(claims: Record<string, unknown>): Promise<Record<string, unknown>> {
      const browser = new Browser();
      const id = consentIdOf(await browser.get(authorizationUrl()));
      const wire = await consentApp.request(id);
      const accepted = await consentApp.accept(id, {
        subject: "user-1",
        grantScopes: wire.requestedScopes,
        idTokenExtra: claims,
      });
      assert.equal(accepted.status, 204, await accepted.clone().text());
      const code = responseParams(await browser.get(wire.redirectUrl), "query").get("code") as string;
      const exchanged = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "authorization_code", code, redirect_uri: web.redirectUri },
        credentialsOf(web),
      );
      assert.equal(exchanged.status, 200, exchanged.text);
      return exchanged.json;
    }

    async function refresh(refreshToken: string, scope?: string) {
      const response = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "refresh_token", refresh_token: refreshToken, ...(scope ? { scope } : {}) },
        credentialsOf(web),
      );
      assert.equal(response.status, 200, response.text);
      return response.json as { access_token: string; refresh_token: string; id_token: string };
    }

    async function userinfo(accessToken: string): Promise<Record<string, unknown>> {
      const response = await fetch(`${portico.url}/userinfo`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(response.status, 200);
      return (await response.json()) as Record<string, unknown>;
    }

    /** The consented claims an ID token carries (the protocol's own claims left out). */
    function consentedClaims(idToken: string): Record<string, unknown> {
      const payload = decodeJwt(idToken) as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(CLAIMS).flatMap((name) => (name in payload ? [[name, payload[name]]] : [])),
      );
    }

    test("a token narrowed on refresh: UserInfo and the new ID token release only what its scopes release; an email username needs email", async () => {
      const first = await tokensFor(CLAIMS);
      assert.deepEqual(await userinfo(first.access_token as string), { ...CLAIMS, sub: "user-1" });
      assert.deepEqual(consentedClaims(first.id_token as string), CLAIMS);

      // profile without email: the name, never the address, also not as the username.
      const profile = await refresh(first.refresh_token as string, "openid profile");
      const {
        preferred_username: _username,
        email: _email,
        email_verified: _verified,
        ...profileOnly
      } = CLAIMS;
      assert.deepEqual(await userinfo(profile.access_token), { ...profileOnly, sub: "user-1" });
      assert.deepEqual(consentedClaims(profile.id_token), profileOnly);

      // email without profile: the address, not the profile's claims.
      const email = await refresh(profile.refresh_token, "openid email");
      const emailOnly = { email: CLAIMS.email, email_verified: true };
      assert.deepEqual(await userinfo(email.access_token), { ...emailOnly, sub: "user-1" });
      assert.deepEqual(consentedClaims(email.id_token), emailOnly);

      // Not narrowed: everything the person consented to, as at the code exchange.
      const whole = await refresh(email.refresh_token);
      assert.deepEqual(await userinfo(whole.access_token), { ...CLAIMS, sub: "user-1" });
      assert.deepEqual(consentedClaims(whole.id_token), CLAIMS);

      // A username that is not the address is a profile claim like any other.
      const named = await tokensFor({ ...CLAIMS, preferred_username: "ann" });
      const narrowed = await refresh(named.refresh_token as string, "openid profile");
      assert.equal((await userinfo(narrowed.access_token)).preferred_username, "ann");
      assert.equal(decodeJwt(narrowed.id_token).preferred_username, "ann");
    });

    test("discovery lists profile and email, whose claims UserInfo releases: the OpenID Foundation's scope modules run instead of being skipped", async () => {
      const document = (await (await fetch(`${portico.url}/.well-known/openid-configuration`)).json()) as {
        scopes_supported: string[];
        claims_supported: string[];
      };
      // oidcc-scope-profile and oidcc-scope-email skip an OP whose scopes_supported lacks the scope.
      for (const scope of ["openid", "profile", "email"]) {
        assert.ok(document.scopes_supported.includes(scope), `scopes_supported lists ${scope}`);
      }
      // Each listed scope's claims are claims the server lists and releases.
      for (const claim of ["name", "updated_at", "email", "email_verified"]) {
        assert.ok(document.claims_supported.includes(claim), claim);
      }
      const { access_token: token } = await tokensFor(CLAIMS);
      assert.deepEqual(await userinfo(token as string), { ...CLAIMS, sub: "user-1" });
    });

    test("UserInfo: a form it cannot read is 400 invalid_request in WWW-Authenticate, with CORS, never a 5xx", async () => {
      const { access_token: token } = await tokensFor(CLAIMS);
      const bodies = [
        `access_token=${token}&access_token=${token}`,
        "access_token=%00",
        // A repeated parameter is named in the description: its line break and quote stay out of the header.
        `access_token=${token}&x%0D%0A%22=1&x%0D%0A%22=2`,
      ];
      for (const body of bodies) {
        const response = await fetch(`${portico.url}/userinfo`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://spa.example" },
          body,
        });
        assert.equal(response.status, 400, body);
        const challenge = response.headers.get("www-authenticate") ?? "";
        assert.match(challenge, /^Bearer error="invalid_request", error_description="[^"\r\n]*"$/, body);
        assert.equal(response.headers.get("access-control-allow-origin"), "*", body);
        assert.equal(((await response.json()) as { error: string }).error, "invalid_request", body);
      }
    });

    test("max_age: any non-negative integer, however long, is accepted (capped at a century)", async () => {
      const huge = "9".repeat(30);
      const response = await new Browser().get(authorizationUrl({ max_age: huge }));
      const wire = (await consentApp.request(consentIdOf(response))) as unknown as { maxAge: number };
      assert.equal(wire.maxAge, 100 * 365 * 24 * 3600);
      const bad = await new Browser().get(authorizationUrl({ max_age: `-${huge}` }));
      assert.equal(responseParams(bad, "query").get("error"), "invalid_request");
    });

    test("ui_locales is a preference: malformed tags are left out, never an error, at /oauth2/auth and at sign-out", async () => {
      const started = await new Browser().get(
        authorizationUrl({ ui_locales: "fr_FR de-CH <script> en de-CH" }),
      );
      const wire = (await consentApp.request(consentIdOf(started))) as unknown as Record<string, unknown>;
      assert.deepEqual(wire.uiLocales, ["de-CH", "en"]);
      const none = await new Browser().get(authorizationUrl({ ui_locales: "fr_FR" }));
      const bare = (await consentApp.request(consentIdOf(none))) as unknown as Record<string, unknown>;
      assert.equal(bare.uiLocales, undefined);
      const letter = (n: number) => String.fromCharCode(97 + n);
      const many = Array.from(
        { length: 30 },
        (_, i) => `x${letter(Math.floor(i / 26))}${letter(i % 26)}`,
      ).join(" ");
      const capped = await new Browser().get(authorizationUrl({ ui_locales: many }));
      const cappedWire = (await consentApp.request(consentIdOf(capped))) as unknown as {
        uiLocales: string[];
      };
      assert.deepEqual(cappedWire.uiLocales, many.split(" ").slice(0, 20));

      const { id_token: idToken } = await tokensFor(CLAIMS);
      const signOut = await fetch(
        `${portico.url}/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: idToken as string, ui_locales: "fr_FR en" })}`,
        { redirect: "manual" },
      );
      assert.equal(signOut.status, 302);
      const location = new URL(signOut.headers.get("location") ?? "");
      assert.equal(`${location.origin}${location.pathname}`, LOGOUT_URL);
      const request = await portico.call(`/oauth2/logout/requests/${location.searchParams.get("logout")}`, {
        token: consentApp.token,
      });
      assert.equal(request.status, 200);
      assert.deepEqual(((await request.json()) as { uiLocales?: string[] }).uiLocales, ["en"]);
    });
  });
}
