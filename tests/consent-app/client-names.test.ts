/**
 * A client's name as the pages show it, when the API server the app speaks
 * to holds one with bidirectional controls: Portico refuses such a name when
 * a client is registered, but Ory Hydra 2.x (HYDRA_ADMIN_URL), another
 * server of the 2017 API (HYDRA_URL), or a client registered before that
 * rule may hold one, and U+202E (RIGHT-TO-LEFT OVERRIDE) makes
 * "\u202Egnp.exe" read "exe.png" — and the words after it in another order.
 * Over real HTTP against a fake API server (the compiled server: `npm run
 * build` first), on both backends.
 *
 * And the initial that stands for a client without a logo (the consent
 * screen, the account page's list of apps): the name's first character,
 * not half of an emoji.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { UserStore } from "@/lib/users/store.ts";
import { type FakeHydraApi, startFakeHydraApi } from "@/tests/support/fake-hydra-api.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";
import { startedPortico } from "@/tests/support/started.ts";

/** The name the fake server holds: a right-to-left override, an isolate, a left-to-right mark, a tab. */
const SPOOFED = "\u202Egnp.exe\u202C Bank\u2066 of\u2069\u200E Zürich\t東京 ☕";
const SHOWN = "gnp.exe Bank of Zürich 東京 ☕";
const BIDI_OR_CONTROL = /[\p{Bidi_Control}\p{Cc}]/u;

/** A server of the 2017 API's and Hydra 2.x admin API's shape that names every client SPOOFED. */
function startFakeApi(): Promise<FakeHydraApi> {
  const client = { id: "spoofing-app", client_name: SPOOFED };
  return startFakeHydraApi({
    admin: ({ url }) =>
      url.pathname === "/admin/oauth2/auth/requests/login"
        ? {
            status: 200,
            body: {
              challenge: url.searchParams.get("login_challenge"),
              skip: false,
              subject: "",
              client: { client_id: client.id, client_name: client.client_name },
              requested_scope: ["openid"],
              requested_access_token_audience: [],
              request_url: "https://rp.example/oauth2/auth",
            },
          }
        : undefined,
    consentRequest: ({ id }) => ({
      status: 200,
      body: {
        id,
        audience: client.id,
        requestedScopes: ["openid"],
        redirectUrl: "https://rp.example/oauth2/auth?consent=x",
        client,
      },
    }),
  });
}

/** The text of a page's "to continue to …" line. */
function continuingTo(body: string): string {
  const line = body.match(/to continue to (?:<!-- -->)?([^<]*)</)?.[1];
  assert.ok(line !== undefined, `the page names the app: ${body.slice(0, 300)}`);
  return line.replaceAll("&amp;", "&");
}

for (const backend of BACKENDS) {
  describe(`a client name with bidirectional controls from the API server (${backend})`, {
    timeout: 180_000,
  }, () => {
    let fake: FakeHydraApi;
    let portico: Portico;

    before(async () => {
      fake = await startFakeApi();
      portico = await startPortico({
        backend,
        compiled: true,
        env: {
          HYDRA_URL: fake.url,
          HYDRA_ADMIN_URL: fake.url,
          HYDRA_CLIENT_ID: "consent-app",
          HYDRA_CLIENT_SECRET: "consent-app-secret",
        },
      });
    });
    after(async () => {
      await portico?.stop();
      await fake?.stop();
    });

    test("Hydra 2.x: the sign-in page names the app without them", async () => {
      const response = await fetch(`${portico.url}/login?login_challenge=spoof-challenge`);
      assert.equal(response.status, 200);
      const name = continuingTo(await response.text());
      assert.doesNotMatch(name, BIDI_OR_CONTROL, JSON.stringify(name));
      assert.equal(name, SHOWN);
    });

    test("2017 API: the sign-in page names the app without them", async () => {
      const response = await fetch(`${portico.url}/login?consent=spoof-consent`);
      assert.equal(response.status, 200);
      const name = continuingTo(await response.text());
      assert.doesNotMatch(name, BIDI_OR_CONTROL, JSON.stringify(name));
      assert.equal(name, SHOWN);
    });
  });
}

for (const backend of BACKENDS) {
  describe(`the initial of a client without a logo (${backend})`, { timeout: 180_000 }, () => {
    const redirectUri = "https://rp.example.test/cb";
    const fixture = startedPortico({ backend, compiled: true });

    /** The letters in the logos' place on a page. */
    const initials = (body: string) =>
      [...body.matchAll(/<div aria-hidden="true" class="flex size-\d+[^"]*">([^<]*)<\/div>/g)].map(
        (m) => m[1],
      );

    test("an emoji or an accent typed apart stays whole, on the consent screen and on the account page", async () => {
      for (const [name, initial] of [
        ["😀 Chat", "😀"],
        ["e\u0301lan", "E\u0301"],
      ] as const) {
        const created = await fixture.portico.call("/clients", {
          token: await fixture.portico.rootToken("hydra.clients"),
          json: {
            client_name: name,
            redirect_uris: [redirectUri],
            response_types: ["code"],
            scope: "openid",
          },
        });
        assert.equal(created.status, 201, await created.clone().text());
        const clientId = ((await created.json()) as { id: string }).id;
        const email = `initial-${clientId}@example.com`;
        const password = "a long passphrase for the initials";
        await new UserStore(fixture.db).create({ email, password, name: "Ini Tial" });
        const browser = new PageClient(fixture.portico.url, fixture.portico.url);
        const query = new URLSearchParams({
          response_type: "code",
          client_id: clientId,
          redirect_uri: redirectUri,
          scope: "openid",
          state: "state-of-the-rp-1",
        });
        const login = await browser.follow(await browser.get(`/oauth2/auth?${query}`));
        const signedIn = await browser.submit(login.url as string, login.body, { email, password });
        assert.equal(signedIn.status, 303, signedIn.body.slice(0, 300));
        const ask = await browser.follow(signedIn);
        assert.equal(ask.status, 200, ask.body.slice(0, 300));
        assert.deepEqual(initials(ask.body), [initial], "the consent screen");
        const allowed = await browser.submit(ask.url as string, ask.body, {
          decision: "allow",
          scope: ["openid"],
          remember: "on",
        });
        assert.equal(allowed.status, 303, allowed.body.slice(0, 300));
        const account = await browser.get("/account");
        assert.equal(account.status, 200);
        assert.deepEqual(initials(account.body), [initial], "the account page's list of apps");
      }
    });
  });
}
