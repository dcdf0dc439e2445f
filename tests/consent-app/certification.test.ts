/**
 * The OpenID Foundation's OP conformance plans as an OP under test meets them
 * (oidcc-basic-certification-test-plan, oidcc-formpost-basic,
 * oidcc-rp-initiated-logout-certification-test-plan), walked through the
 * login & consent app's own pages over real HTTP (the compiled server: `npm
 * run build` first), on every backend: what each module sends, and the
 * answer it expects.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { UserStore } from "@/lib/users/store.ts";
import { codeFlowPath, redeemCode } from "@/tests/oauth2/support.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS } from "@/tests/support/server.ts";
import { startedPortico } from "@/tests/support/started.ts";

const REDIRECT_URI = "https://rp.example.test/cb";
const POST_LOGOUT_URI = "https://rp.example.test/post_logout_redirect";
const EMAIL = "certify@example.com";
const PASSWORD = "a long passphrase for the conformance suite";

for (const backend of BACKENDS) {
  describe(`the OpenID Foundation's OP plans through the app's pages (${backend})`, {
    timeout: 180_000,
  }, () => {
    let client: { id: string; secret: string };
    const fixture = startedPortico({ backend, compiled: true }, async ({ portico, db }) => {
      await new UserStore(db).create({ email: EMAIL, password: PASSWORD, name: "Cert Ification" });
      const created = await portico.call("/clients", {
        token: await portico.rootToken("hydra.clients"),
        json: {
          client_name: "Conformance suite",
          redirect_uris: [REDIRECT_URI],
          post_logout_redirect_uris: [POST_LOGOUT_URI],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid profile email",
        },
      });
      assert.equal(created.status, 201, await created.clone().text());
      const body = (await created.json()) as { id: string; client_secret: string };
      client = { id: body.id, secret: body.client_secret };
    });

    const state = () => randomBytes(96).toString("base64url"); // 128 characters, as the suite sends
    const authPath = (params: Record<string, string>) => codeFlowPath(client.id, params);

    /** The parameters of an answer sent to the client's redirect URI. */
    function atClient(url: string | undefined, base = REDIRECT_URI): URLSearchParams {
      assert.ok(url?.startsWith(`${base}?`), `sent to the client: ${url}`);
      return new URL(url as string).searchParams;
    }

    const redeem = (code: string) => redeemCode(fixture.portico, client, code, REDIRECT_URI);

    /** oidcc-server: sign in and consent (remembered) on the app's pages; the browser and the tokens. */
    async function signedIn() {
      const browser = new PageClient(fixture.portico.url, fixture.portico.url);
      const sent = state();
      const login = await browser.follow(
        await browser.get(authPath({ redirect_uri: REDIRECT_URI, state: sent })),
      );
      assert.ok(login.body.includes('name="password"'), `the sign-in page (${login.url})`);
      const afterLogin = await browser.submit(login.url as string, login.body, {
        email: EMAIL,
        password: PASSWORD,
      });
      assert.equal(afterLogin.status, 303, afterLogin.body.slice(0, 300));
      const ask = await browser.follow(afterLogin);
      assert.equal(ask.status, 200, ask.body.slice(0, 300));
      const allowed = await browser.submit(ask.url as string, ask.body, {
        decision: "allow",
        scope: ["openid"],
        remember: "on",
      });
      const back = atClient((await browser.follow(allowed)).url);
      assert.equal(back.get("state"), sent, "state comes back unchanged");
      assert.equal(back.get("iss"), fixture.portico.url);
      const tokens = await redeem(back.get("code") as string);
      const { kid } = decodeProtectedHeader(tokens.id_token);
      const jwks = (await (await fetch(`${fixture.portico.url}/.well-known/jwks.json`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      assert.ok(
        jwks.keys.some((key) => key.kid === kid),
        "the ID token's kid is in the JWK set",
      );
      await jwtVerify(
        tokens.id_token,
        createRemoteJWKSet(new URL(`${fixture.portico.url}/.well-known/jwks.json`)),
        {
          issuer: fixture.portico.url,
          audience: client.id,
        },
      );
      return { browser, tokens };
    }

    test("oidcc-ensure-redirect-uri-in-authorization-request: an error page, never the sign-in page", async () => {
      const browser = new PageClient(fixture.portico.url, fixture.portico.url);
      const answer = await browser.get(authPath({ state: state(), nonce: "n" }));
      assert.equal(answer.status, 400);
      assert.equal(answer.location, undefined, "never redirected, to the client or to the app");
      assert.match(answer.body, /invalid_request/);
      assert.match(answer.body, /redirect_uri is required/);
    });

    test("oidcc-prompt-none-not-logged-in: login_required at the client, with state", async () => {
      const browser = new PageClient(fixture.portico.url, fixture.portico.url);
      const sent = state();
      const answer = await browser.follow(
        await browser.get(authPath({ redirect_uri: REDIRECT_URI, state: sent, prompt: "none" })),
      );
      const back = atClient(answer.url);
      assert.equal(back.get("error"), "login_required");
      assert.equal(back.get("state"), sent);
    });

    test("oidcc-id-token-hint and oidcc-rp-initiated-logout: prompt=none with the hint, then sign-out, then login_required", async () => {
      const { browser, tokens } = await signedIn();
      // oidcc-id-token-hint (and oidcc-prompt-none-logged-in): no page, a code for the same person.
      const silent = await browser.follow(
        await browser.get(
          authPath({
            redirect_uri: REDIRECT_URI,
            state: "s",
            prompt: "none",
            id_token_hint: tokens.id_token,
          }),
        ),
      );
      const code = atClient(silent.url).get("code");
      assert.ok(code, silent.url);
      assert.equal(decodeJwt((await redeem(code)).id_token).sub, decodeJwt(tokens.id_token).sub);

      // oidcc-rp-initiated-logout: id_token_hint, post_logout_redirect_uri and a 128-character state.
      const sent = state();
      const ended = await browser.follow(
        await browser.get(
          `/oauth2/sessions/logout?${new URLSearchParams({
            id_token_hint: tokens.id_token,
            post_logout_redirect_uri: POST_LOGOUT_URI,
            state: sent,
          })}`,
        ),
      );
      const returned = atClient(ended.url, POST_LOGOUT_URI);
      assert.deepEqual(
        [...returned.keys()],
        ["state"],
        "only state (CheckForUnexpectedParametersInPostLogoutRedirect)",
      );
      assert.equal(returned.get("state"), sent);

      // The suite's second authorization: prompt=none must now need the person.
      const after = await browser.follow(
        await browser.get(authPath({ redirect_uri: REDIRECT_URI, state: "again", prompt: "none" })),
      );
      assert.equal(atClient(after.url).get("error"), "login_required");
    });
  });
}
