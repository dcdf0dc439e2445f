/**
 * A single-page app is a public client that talks to the server from its own
 * origin, in a real browser (Debian's Chromium, or CHROMIUM_PATH): it reads
 * discovery and the JWK set, exchanges its code with PKCE, reads an error of
 * the token endpoint, authenticates a confidential client with HTTP Basic
 * (a preflighted request) and revokes its token — and cannot read an admin
 * endpoint, the authorization endpoint or introspection, which send no CORS.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Browser as Chromium, chromium, type Page } from "playwright";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  pkcePair,
  randomValue,
  registerClient,
  responseParams,
  startOAuth2Portico,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

interface Fetched {
  status?: number;
  body?: unknown;
  blocked?: string;
}

/** fetch from the app's page: what the page's script could read of the answer, or that CORS blocked it. */
function fetchFromPage(
  page: Page,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return page.evaluate(
    async ({ url, init }): Promise<Fetched> => {
      try {
        const response = await fetch(url, init);
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {}
        return { status: response.status, body };
      } catch (error) {
        return { blocked: String(error) };
      }
    },
    { url, init },
  );
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

for (const backend of BACKENDS) {
  describe(`a browser-based app on another origin (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let chromiumBrowser: Chromium;
    let page: Page;
    let close: () => Promise<void>;
    let origin: string;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      const server = createServer((_request, response) => {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end("<!doctype html><title>App</title><p>app</p>");
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => new Promise((resolve) => server.close(() => resolve()));
      chromiumBrowser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-gpu"],
      });
      page = await chromiumBrowser.newPage();
      await page.goto(`${origin}/`);
    });
    after(async () => {
      await chromiumBrowser?.close();
      await close?.();
      await portico?.stop();
    });

    test("reads discovery and the JWK set, exchanges its code, reads an error, revokes its token", async () => {
      const discovery = await fetchFromPage(page, `${portico.url}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200, JSON.stringify(discovery));
      const { token_endpoint, jwks_uri, revocation_endpoint } = discovery.body as Record<string, string>;
      const jwks = await fetchFromPage(page, jwks_uri as string);
      assert.equal(jwks.status, 200, JSON.stringify(jwks));
      assert.ok(((jwks.body as { keys: unknown[] }).keys ?? []).length > 0);

      const spa = await registerClient(portico, {
        public: true,
        redirect_uris: [`${origin}/cb`],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      });
      const { verifier, challenge } = pkcePair();
      const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
        response_type: "code",
        client_id: spa.id,
        redirect_uri: spa.redirectUri,
        scope: "openid offline",
        state: randomValue(),
        nonce: randomValue(),
        code_challenge: challenge,
        code_challenge_method: "S256",
      });
      const code = responseParams(response, "query").get("code") as string;
      const exchange = {
        method: "POST",
        headers: FORM,
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: spa.redirectUri,
          client_id: spa.id,
          code_verifier: verifier,
        }).toString(),
      };
      const tokens = await fetchFromPage(page, token_endpoint as string, exchange);
      assert.equal(tokens.status, 200, JSON.stringify(tokens));
      const { access_token, refresh_token, id_token } = tokens.body as Record<string, string>;
      assert.ok(access_token && refresh_token && id_token);

      const replayed = await fetchFromPage(page, token_endpoint as string, exchange);
      assert.equal(replayed.status, 400, "the app can read the token endpoint's error");
      assert.equal((replayed.body as { error: string }).error, "invalid_grant");

      const revoked = await fetchFromPage(page, revocation_endpoint as string, {
        method: "POST",
        headers: FORM,
        body: new URLSearchParams({ token: refresh_token as string, client_id: spa.id }).toString(),
      });
      assert.equal(revoked.status, 200, JSON.stringify(revoked));
      const refreshed = await fetchFromPage(page, token_endpoint as string, {
        method: "POST",
        headers: FORM,
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token,
          client_id: spa.id,
        }).toString(),
      });
      assert.equal(refreshed.status, 400, "the revoked refresh token is refused");
    });

    test("a preflighted request (HTTP Basic) goes through; a wrong secret's 401 and its challenge are readable", async () => {
      const machine = await registerClient(portico, { grant_types: ["client_credentials"], scope: "api" });
      const basic = (secret: string) => `Basic ${Buffer.from(`${machine.id}:${secret}`).toString("base64")}`;
      const granted = await fetchFromPage(page, `${portico.url}/oauth2/token`, {
        method: "POST",
        headers: { ...FORM, authorization: basic(machine.secret as string) },
        body: "grant_type=client_credentials",
      });
      assert.equal(granted.status, 200, JSON.stringify(granted));
      const challenge = await page.evaluate(async (url) => {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic eDp5" },
          body: "grant_type=client_credentials",
        });
        return { status: response.status, challenge: response.headers.get("www-authenticate") };
      }, `${portico.url}/oauth2/token`);
      assert.equal(challenge.status, 401);
      assert.match(challenge.challenge ?? "", /^Basic/);
    });

    test("discovery and the JWK set read through a preflight (an interceptor's Authorization header)", async () => {
      // An app whose HTTP client adds the person's token to every request (an Angular interceptor):
      // the browser preflights these GETs, and the preflight must be answered as the GET is.
      const headers = { authorization: "Bearer the-apps-own-token", accept: "application/json" };
      const discovery = await fetchFromPage(page, `${portico.url}/.well-known/openid-configuration`, {
        headers,
      });
      assert.equal(discovery.status, 200, JSON.stringify(discovery));
      const { jwks_uri } = discovery.body as Record<string, string>;
      const jwks = await fetchFromPage(page, jwks_uri as string, { headers });
      assert.equal(jwks.status, 200, JSON.stringify(jwks));
      assert.ok(((jwks.body as { keys: unknown[] }).keys ?? []).length > 0);
    });

    test("admin endpoints, the authorization endpoint and introspection cannot be read from another origin", async () => {
      const admin = await portico.rootToken("hydra.clients");
      for (const [url, init] of [
        [`${portico.url}/clients`, { headers: { authorization: `Bearer ${admin}` } }],
        [`${portico.url}/oauth2/auth?client_id=nobody&response_type=code`, {}],
        [`${portico.url}/oauth2/introspect`, { method: "POST", headers: FORM, body: "token=x" }],
      ] as const) {
        const answer = await fetchFromPage(page, url, init);
        assert.ok(
          answer.blocked,
          `${url} must not be readable from another origin: ${JSON.stringify(answer)}`,
        );
      }
      // The same over plain HTTP: no CORS header at all there.
      for (const path of ["/clients", "/oauth2/auth", "/oauth2/introspect", "/health"]) {
        const response = await fetch(`${portico.url}${path}`, { headers: { origin } });
        assert.equal(response.headers.get("access-control-allow-origin"), null, path);
        await response.arrayBuffer();
      }
    });
  });
}
