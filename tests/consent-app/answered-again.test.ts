/**
 * A person who comes back to a consent request they answered already (the
 * browser's Back, a reload) is told so, and offered the way back to the app
 * the request was for: its client_uri, under its name — only when it
 * registered one. The server names the client beside its 409 when the consent
 * app asks with `?include=client` (an addition; the 2017 answer is unchanged).
 * Real server, pages without JavaScript, both backends.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UserStore } from "@/lib/users/store.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS } from "@/tests/support/server.ts";
import { startedPortico } from "@/tests/support/started.ts";

const REDIRECT_URI = "https://rp.example.test/cb";

for (const backend of BACKENDS) {
  describe(`a consent request answered already, opened again (${backend})`, { timeout: 180_000 }, () => {
    const fixture = startedPortico({ backend, compiled: true });

    async function register(fields: Record<string, string>): Promise<string> {
      const created = await fixture.portico.call("/clients", {
        token: await fixture.portico.rootToken("hydra.clients"),
        json: { redirect_uris: [REDIRECT_URI], response_types: ["code"], scope: "openid", ...fields },
      });
      assert.equal(created.status, 201, await created.clone().text());
      return ((await created.json()) as { id: string }).id;
    }

    /** Signs a new person in and allows the request; the consent screen's URL and the request's id. */
    async function answer(
      clientId: string,
      tag: string,
    ): Promise<{ browser: PageClient; screen: string; id: string }> {
      const email = `${tag}-${backend}@example.com`;
      const password = "a long passphrase to answer with";
      await new UserStore(fixture.db).create({ email, password, name: "Ann Back" });
      const browser = new PageClient(fixture.portico.url, fixture.portico.url);
      const query = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        scope: "openid",
        state: "state-of-the-rp-1",
        nonce: "nonce-of-the-rp-1",
      });
      const started = await browser.get(`/oauth2/auth?${query}`);
      assert.equal(started.status, 302, started.body);
      const id = new URL(started.location ?? "").searchParams.get("consent") ?? "";
      const login = await browser.follow(started);
      const signedIn = await browser.submit(login.url as string, login.body, { email, password });
      assert.equal(signedIn.status, 303, `${signedIn.status} ${signedIn.body.slice(0, 500)}`);
      const ask = await browser.follow(signedIn);
      assert.equal(ask.status, 200, `the consent screen (${ask.url}): ${ask.body.slice(0, 500)}`);
      const allowed = await browser.submit(ask.url as string, ask.body, {
        decision: "allow",
        scope: ["openid"],
      });
      assert.equal(allowed.status, 303, `${allowed.status} ${allowed.body.slice(0, 500)}`);
      const back = await browser.follow(allowed);
      assert.ok(back.url?.startsWith(`${REDIRECT_URI}?code=`), `back at the client with a code: ${back.url}`);
      return { browser, screen: ask.url as string, id };
    }

    test("the page says it was answered and links back to the app's client_uri, under the app's name", async () => {
      const clientId = await register({
        client_name: "Back & Forth RP",
        client_uri: "https://rp.example.test/home",
      });
      const { browser, screen } = await answer(clientId, "with-uri");
      for (const again of [
        screen,
        `/consent?consent=${new URL(screen, fixture.portico.url).searchParams.get("consent")}`,
      ]) {
        const page = await browser.follow(await browser.get(again));
        assert.equal(page.status, 200, `${again}: ${page.status}`);
        assert.match(page.body, /This sign-in request was already answered/);
        const link = page.body.match(/<a [^>]*href="https:\/\/rp\.example\.test\/home"[^>]*>([\s\S]*?)<\/a>/);
        assert.ok(
          link,
          `a link to the app's client_uri: ${page.body.replace(/<script[\s\S]*?<\/script>/g, "").slice(0, 3000)}`,
        );
        assert.equal(link[1]?.replace(/<!-- -->/g, ""), "Back to Back &amp; Forth RP");
        assert.match(link[0], /rel="noopener noreferrer"/, "the request's address is not handed to the app");
        assert.match(page.body, /Go to your account/);
      }
    });

    test("an app without client_uri: the page as before, no link to anywhere else", async () => {
      const clientId = await register({ client_name: "No-home RP" });
      const { browser, screen } = await answer(clientId, "without-uri");
      const page = await browser.get(screen);
      assert.equal(page.status, 200);
      assert.match(page.body, /This sign-in request was already answered/);
      assert.doesNotMatch(page.body, /Back to/);
      assert.doesNotMatch(page.body, /href="https?:\/\/rp\.example\.test/);
      assert.match(page.body, /Go to your account/);
    });

    test("the API: the 2017 answer of an answered request is unchanged; with ?include=client the client comes beside it", async () => {
      const clientId = await register({
        client_name: "API RP",
        client_uri: "https://rp.example.test/api-home",
      });
      const { id } = await answer(clientId, "api");
      const token = await fixture.portico.rootToken("hydra.consent");
      const plain = await fixture.portico.call(`/oauth2/consent/requests/${id}`, { token });
      assert.equal(plain.status, 409);
      assert.deepEqual(await plain.json(), {
        error: {
          code: 409,
          status: "Conflict",
          message: "The consent request was already accepted or rejected",
        },
      });
      const included = await fixture.portico.call(`/oauth2/consent/requests/${id}?include=client`, { token });
      assert.equal(included.status, 409);
      assert.deepEqual(await included.json(), {
        error: {
          code: 409,
          status: "Conflict",
          message: "The consent request was already accepted or rejected",
        },
        client: {
          id: clientId,
          client_name: "API RP",
          client_uri: "https://rp.example.test/api-home",
          logo_uri: "",
          policy_uri: "",
          tos_uri: "",
        },
      });
    });
  });
}
