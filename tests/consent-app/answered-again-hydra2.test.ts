/**
 * Hydra 2.x mode: a person who comes back to a login or consent step they
 * answered already (the browser's Back, a reload) is told so, and offered the
 * way back to the app the request was for — its client_uri, under its name,
 * only when it registered one. Portico's 2.x face names the client beside
 * the 410 (`redirect_to`) of an answered request, an addition to Hydra's
 * oAuth2RedirectTo; Ory Hydra names none, and the page then offers no link.
 * Real server in 2.x mode, pages as a browser without JavaScript gets them,
 * both backends.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, sdk } from "@/tests/hydra2/support.ts";
import { Browser } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const REDIRECT_URI = "https://rp.example.test/cb";

for (const backend of BACKENDS) {
  describe(`Hydra 2.x: a step answered already, opened again (${backend})`, { timeout: 180_000 }, () => {
    let portico: Portico;

    before(async () => {
      portico = await startPortico({ backend, compiled: true, hydraV2: true });
    });
    after(async () => {
      await portico?.stop();
    });

    async function register(id: string, fields: Record<string, string>): Promise<void> {
      await sdk(portico).oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: id,
          client_secret: `${id}-secret-0123456789abcdef`,
          redirect_uris: [REDIRECT_URI],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
          ...fields,
        },
      });
    }

    /** One whole flow, each step accepted through the admin API; both challenges, answered and used. */
    async function completedFlow(clientId: string): Promise<{ login: string; consent: string }> {
      const browser = new Browser();
      const query = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: REDIRECT_URI,
        scope: "openid",
        state: "state-of-the-rp-0123",
      });
      const started = await browser.get(`${portico.url}/oauth2/auth?${query}`);
      assert.equal(started.status, 302);
      const login = new URL(started.headers.get("location") ?? "").searchParams.get("login_challenge") ?? "";
      const accepted = await admin(
        portico,
        `/admin/oauth2/auth/requests/login/accept?login_challenge=${login}`,
        {
          method: "PUT",
          json: { subject: "ann" },
        },
      );
      assert.equal(accepted.status, 200, await accepted.clone().text());
      const toConsent = await browser.get(((await accepted.json()) as { redirect_to: string }).redirect_to);
      assert.equal(toConsent.status, 302);
      const consent =
        new URL(toConsent.headers.get("location") ?? "").searchParams.get("consent_challenge") ?? "";
      const given = await admin(
        portico,
        `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${consent}`,
        { method: "PUT", json: { grant_scope: ["openid"] } },
      );
      assert.equal(given.status, 200, await given.clone().text());
      const back = await browser.get(((await given.json()) as { redirect_to: string }).redirect_to);
      assert.ok(
        back.headers.get("location")?.startsWith(`${REDIRECT_URI}?code=`),
        `back at the client with a code: ${back.headers.get("location")}`,
      );
      return { login, consent };
    }

    /** A page as a browser gets it; GET /consent only redirects, to the consent screen. */
    async function page(path: string): Promise<{ status: number; body: string }> {
      let response = await fetch(`${portico.url}${path}`, { redirect: "manual" });
      const location = response.headers.get("location") ?? "";
      if (response.status === 303 && location.startsWith("/consent/ask?")) {
        response = await fetch(`${portico.url}${location}`, { redirect: "manual" });
      }
      return { status: response.status, body: await response.text() };
    }

    test("the login and consent pages say it was answered and link back to the app's client_uri", async () => {
      await register("back-rp", {
        client_name: "Back & Forth RP",
        client_uri: "https://rp.example.test/home",
      });
      const { login, consent } = await completedFlow("back-rp");
      for (const again of [
        `/consent?consent_challenge=${consent}`,
        `/consent/ask?consent_challenge=${consent}`,
        `/login?login_challenge=${login}`,
      ]) {
        const { status, body } = await page(again);
        assert.equal(status, 200, again);
        assert.match(body, /This sign-in request was already answered/, again);
        const link = body.match(/<a [^>]*href="https:\/\/rp\.example\.test\/home"[^>]*>([\s\S]*?)<\/a>/);
        assert.ok(
          link,
          `${again}: a link to the app's client_uri: ${body.replace(/<script[\s\S]*?<\/script>/g, "").slice(0, 3000)}`,
        );
        assert.equal(link[1]?.replace(/<!-- -->/g, ""), "Back to Back &amp; Forth RP", again);
        assert.match(link[0], /rel="noopener noreferrer"/, "the challenge is not handed to the app");
        assert.match(body, /Go to your account/, again);
      }
    });

    test("an app without client_uri: the page as before, no link to anywhere else", async () => {
      await register("no-home-rp", { client_name: "No-home RP" });
      const { login, consent } = await completedFlow("no-home-rp");
      for (const again of [`/consent/ask?consent_challenge=${consent}`, `/login?login_challenge=${login}`]) {
        const { status, body } = await page(again);
        assert.equal(status, 200, again);
        assert.match(body, /This sign-in request was already answered/, again);
        assert.doesNotMatch(body, /Back to/, again);
        assert.doesNotMatch(body, /href="https?:\/\/rp\.example\.test/, again);
      }
    });

    test("the admin API: the 410 of an answered request is Hydra's oAuth2RedirectTo, with its client beside", async () => {
      await register("api-rp", { client_name: "API RP", client_uri: "https://rp.example.test/api-home" });
      const { login, consent } = await completedFlow("api-rp");
      for (const path of [
        `/admin/oauth2/auth/requests/login?login_challenge=${login}`,
        `/admin/oauth2/auth/requests/consent?consent_challenge=${consent}`,
      ]) {
        const gone = await admin(portico, path);
        assert.equal(gone.status, 410, path);
        const body = (await gone.json()) as { redirect_to: string; client: Record<string, unknown> };
        assertSchema("oAuth2RedirectTo", body);
        assert.ok(body.redirect_to.startsWith(`${portico.url}/oauth2/auth?`), body.redirect_to);
        assertSchema("oAuth2Client", body.client);
        assert.equal(body.client.client_id, "api-rp");
        assert.equal(body.client.client_name, "API RP");
        assert.equal(body.client.client_uri, "https://rp.example.test/api-home");
        assert.equal(body.client.client_secret, undefined, "never the secret");
      }
    });
  });
}
