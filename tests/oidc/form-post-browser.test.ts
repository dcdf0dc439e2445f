/**
 * OAuth 2.0 Form Post Response Mode in a real browser (Debian's Chromium,
 * or CHROMIUM_PATH): the page's form reaches the client's callback, and the
 * callback's own redirect afterwards — to another origin too, as a client
 * whose callback hands over to its app elsewhere does — is followed, so the
 * person lands in the app instead of staying on the form post page.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium } from "playwright";
import { ConsentApp, randomValue, registerClient, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

/** A plain HTTP server on a free loopback port. */
async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

for (const backend of BACKENDS) {
  describe(`response_mode=form_post in a browser (${backend})`, () => {
    let portico: Portico;
    let consentApp: ConsentApp;
    let browser: Browser;
    let app: Awaited<ReturnType<typeof serve>>;
    let callback: Awaited<ReturnType<typeof serve>>;
    /** What the callback received, by the path its redirect sends the browser to. */
    const received = new Map<string, URLSearchParams>();

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      consentApp = await ConsentApp.for(portico);
      const landed = (response: ServerResponse) => {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end('<!doctype html><title>App</title><p id="landed">signed in</p>');
      };
      // The client's app, on an origin of its own: where its callback sends the browser on.
      app = await serve((_request, response) => landed(response));
      // The callback: takes the POSTed response, then redirects, as relying parties do (on its own
      // origin, GET is the app's page).
      callback = await serve((request, response) => {
        if (request.method !== "POST") return landed(response);
        let body = "";
        request.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        request.on("end", () => {
          const fields = new URLSearchParams(body);
          const landing = `/landed/${randomValue()}`;
          received.set(landing, fields);
          const target = request.url === "/cb/cross-origin" ? `${app.origin}${landing}` : landing;
          response.writeHead(302, { location: target });
          response.end();
        });
      });
      browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
        args: ["--no-sandbox", "--disable-gpu"],
      });
    });
    after(async () => {
      await browser?.close();
      await callback?.close();
      await app?.close();
      await portico?.stop();
    });

    for (const [name, path] of [
      ["its own origin", "/cb/same-origin"],
      ["another origin", "/cb/cross-origin"],
    ] as const) {
      test(`a callback that redirects to ${name}: the browser follows it with the code delivered`, async () => {
        const redirectUri = `${callback.origin}${path}`;
        const client = await registerClient(portico, {
          redirect_uris: [redirectUri],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
        });
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          const state = randomValue();
          const query = new URLSearchParams({
            response_type: "code",
            client_id: client.id,
            redirect_uri: redirectUri,
            scope: "openid",
            state,
            response_mode: "form_post",
          });
          // The browser starts the flow (and holds its binding cookie); the test plays the consent app.
          const started = await page.request.get(`${portico.url}/oauth2/auth?${query}`, { maxRedirects: 0 });
          assert.equal(started.status(), 302);
          const id = new URL(started.headers().location ?? "").searchParams.get("consent") as string;
          const wire = await consentApp.request(id);
          const accepted = await consentApp.accept(id, {
            subject: "user-1",
            grantScopes: wire.requestedScopes,
          });
          assert.equal(accepted.status, 204);

          await page.goto(wire.redirectUrl);
          const landed = page.locator("#landed");
          await landed.waitFor({ timeout: 20_000 });
          const landing = new URL(page.url());
          if (path === "/cb/cross-origin") assert.equal(landing.origin, app.origin);
          else assert.equal(landing.origin, callback.origin);
          const fields = received.get(landing.pathname);
          assert.ok(fields, "the callback received the form");
          assert.ok(fields.get("code"));
          assert.equal(fields.get("state"), state);
          assert.equal(fields.get("iss"), portico.url);
        } finally {
          await context.close();
        }
      });
    }
  });
}
