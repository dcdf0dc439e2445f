/**
 * The `redirect_to` of the 410 that GET answers for a login or consent
 * request answered already (Hydra's oAuth2RedirectTo). While the step's
 * answer has not been used, it is the step's verifier, as accept and reject
 * answered: the browser can still finish the flow with it. Once the verifier
 * was used (the flow went on, or finished), it is the original authorization
 * request (`request_url`), as Ory Hydra 2.x answers: following it starts the
 * flow over — with a remembered login, on to a new code — where a used
 * verifier would only bring the client access_denied. Real server in 2.x
 * mode, both backends.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, challengeOf, sdk } from "@/tests/hydra2/support.ts";
import { Browser, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const REDIRECT_URI = "https://rp.example/gone-cb";

for (const backend of BACKENDS) {
  describe(`Hydra 2.x: where the 410 of an answered step sends the browser (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      await sdk(portico).oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "rp-gone",
          client_secret: "rp-gone-secret-0123456789abcdef",
          redirect_uris: [REDIRECT_URI],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
        },
      });
    });
    after(async () => {
      await portico?.stop();
    });

    const authorizationUrl = (state: string) =>
      `${portico.url}/oauth2/auth?${new URLSearchParams({
        response_type: "code",
        client_id: "rp-gone",
        redirect_uri: REDIRECT_URI,
        scope: "openid",
        state,
      })}`;

    /** GET of a step: its status and body (the request's `request_url` on 200, `redirect_to` on 410). */
    async function read(step: "login" | "consent", challenge: string) {
      const response = await admin(
        portico,
        `/admin/oauth2/auth/requests/${step}?${step}_challenge=${challenge}`,
      );
      const body = (await response.json()) as { request_url?: string; redirect_to?: string; skip?: boolean };
      return { status: response.status, body };
    }

    async function gone(step: "login" | "consent", challenge: string): Promise<string> {
      const { status, body } = await read(step, challenge);
      assert.equal(status, 410, `${step}: ${JSON.stringify(body)}`);
      assertSchema("oAuth2RedirectTo", body);
      return body.redirect_to as string;
    }

    async function answer(
      step: "login" | "consent",
      how: "accept" | "reject",
      challenge: string,
      json: unknown,
    ) {
      const response = await admin(
        portico,
        `/admin/oauth2/auth/requests/${step}/${how}?${step}_challenge=${challenge}`,
        { method: "PUT", json },
      );
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { redirect_to: string }).redirect_to;
    }

    /** Where a browser lands at the client: the callback's parameters. */
    function atClient(response: Response): URLSearchParams {
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get("location") ?? "");
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
      return location.searchParams;
    }

    test("login and consent: the verifier while it is unused, the authorization request once the flow went on", async () => {
      const browser = new Browser();
      const state = "state-of-the-first-flow";
      const login = challengeOf(await browser.get(authorizationUrl(state)), URLS_LOGIN, "login_challenge");
      const requestUrl = (await read("login", login)).body.request_url as string;
      assert.ok(requestUrl.startsWith(`${portico.url}/oauth2/auth?`), requestUrl);

      // Accepted, the verifier not used yet: the 410 is the accept's answer, and it still works.
      const loginDone = await answer("login", "accept", login, { subject: "alice", remember: true });
      assert.match(loginDone, /login_verifier=/);
      assert.equal(await gone("login", login), loginDone);
      const consent = challengeOf(
        await browser.get(await gone("login", login)),
        URLS_CONSENT,
        "consent_challenge",
      );

      // The login verifier was used: the login step's 410 is the request itself, as in Ory Hydra.
      assert.equal(await gone("login", login), requestUrl);

      const consentDone = await answer("consent", "accept", consent, { grant_scope: ["openid"] });
      assert.match(consentDone, /consent_verifier=/);
      assert.equal(await gone("consent", consent), consentDone);
      const first = atClient(await browser.get(await gone("consent", consent)));
      assert.ok(first.get("code"), "the consent step's 410, unused, finished the flow");
      assert.equal(first.get("state"), state);

      // Finished: both steps' 410 name the authorization request, no verifier.
      for (const step of ["login", "consent"] as const) {
        const to = await gone(step, step === "login" ? login : consent);
        assert.equal(to, requestUrl, step);
        assert.doesNotMatch(to, /_verifier=/, step);
      }

      // Followed with the remembered login: the flow starts over (a new, skipped login step) and ends
      // with a new code — not access_denied.
      const again = challengeOf(
        await browser.get(await gone("consent", consent)),
        URLS_LOGIN,
        "login_challenge",
      );
      assert.notEqual(again, login);
      const skipped = await read("login", again);
      assert.equal(skipped.status, 200);
      assert.equal(skipped.body.skip, true);
      const consentAgain = challengeOf(
        await browser.get(await answer("login", "accept", again, { subject: "alice" })),
        URLS_CONSENT,
        "consent_challenge",
      );
      const second = atClient(
        await browser.get(await answer("consent", "accept", consentAgain, { grant_scope: ["openid"] })),
      );
      assert.equal(second.get("error"), null);
      assert.ok(second.get("code"));
      assert.notEqual(second.get("code"), first.get("code"));
      assert.equal(second.get("state"), state);
    });

    test("the login step's 410 followed after the flow finished, without a remembered login: the sign-in again", async () => {
      const browser = new Browser();
      const login = challengeOf(
        await browser.get(authorizationUrl("state-2")),
        URLS_LOGIN,
        "login_challenge",
      );
      const consent = challengeOf(
        await browser.get(await answer("login", "accept", login, { subject: "bob", remember: false })),
        URLS_CONSENT,
        "consent_challenge",
      );
      assert.ok(atClient(await browser.get(await answer("consent", "accept", consent, {}))).get("code"));

      const restarted = await browser.get(await gone("login", login));
      const fresh = challengeOf(restarted, URLS_LOGIN, "login_challenge");
      assert.notEqual(fresh, login);
      const shown = await read("login", fresh);
      assert.equal(shown.status, 200);
      assert.equal(shown.body.skip, false, "nobody remembered: the sign-in form");
    });

    test("rejected steps: the verifier (the client gets the rejection once), then the authorization request", async () => {
      // A rejected login.
      const browser = new Browser();
      const login = challengeOf(
        await browser.get(authorizationUrl("state-3")),
        URLS_LOGIN,
        "login_challenge",
      );
      const requestUrl = (await read("login", login)).body.request_url as string;
      const rejected = await answer("login", "reject", login, { error: "access_denied" });
      assert.equal(await gone("login", login), rejected);
      assert.equal(atClient(await browser.get(await gone("login", login))).get("error"), "access_denied");
      assert.equal(await gone("login", login), requestUrl);

      // A rejected consent.
      const other = new Browser();
      const login2 = challengeOf(await other.get(authorizationUrl("state-4")), URLS_LOGIN, "login_challenge");
      const consent = challengeOf(
        await other.get(await answer("login", "accept", login2, { subject: "carol" })),
        URLS_CONSENT,
        "consent_challenge",
      );
      const refused = await answer("consent", "reject", consent, { error: "access_denied" });
      assert.equal(await gone("consent", consent), refused);
      assert.equal(atClient(await other.get(await gone("consent", consent))).get("error"), "access_denied");
      const requestUrl2 = (await gone("login", login2)) as string;
      assert.ok(requestUrl2.startsWith(`${portico.url}/oauth2/auth?`) && !requestUrl2.includes("_verifier="));
      assert.equal(await gone("consent", consent), requestUrl2);
    });
  });
}
