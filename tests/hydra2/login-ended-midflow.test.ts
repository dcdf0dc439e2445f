/**
 * A remembered login (Hydra 2.x mode) covers an authorization request when
 * the request starts: the login step is shown with `skip`, and the app
 * accepts it without a screen. The person may end that login before the flow
 * is over — sign out everywhere from another device, through any process of
 * any instance (DELETE /admin/oauth2/auth/sessions/login?subject=). A flow
 * started before must then not sign the browser in on the strength of the
 * ended login: the app is asked to sign the person in, an acceptance made on
 * the old `skip` is refused, and a browser already on its way back gets
 * login_required instead of a code. A login that merely ran out has not
 * ended: an acceptance made on its `skip` goes on. Two workers: the steps
 * need not meet one process.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase } from "@/db/client.ts";
import { rawJson, sdk } from "@/tests/hydra2/support.ts";
import { Browser, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const URLS_LOGOUT = "https://login.example/logout";
const REDIRECT_URI = "https://rp.example/cb";
const CLIENT = "rp-midflow";

function locationOf(response: Response): URL {
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  return new URL(response.headers.get("location") ?? "");
}

for (const backend of BACKENDS) {
  describe(`a remembered login ended while a flow it covered was under way (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;

    before(async () => {
      portico = await startOAuth2Portico({
        backend,
        env: { URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT, WORKERS: "2" },
      });
      api = sdk(portico);
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: CLIENT,
          client_secret: "rp-midflow-secret-0123456789",
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

    /** A new authorization request in `browser`: its login challenge. */
    async function authorize(browser: Browser): Promise<string> {
      const query = new URLSearchParams({
        client_id: CLIENT,
        response_type: "code",
        redirect_uri: REDIRECT_URI,
        scope: "openid",
        state: "state-of-the-flow",
      });
      const login = locationOf(await browser.get(`${portico.url}/oauth2/auth?${query}`));
      assert.equal(`${login.origin}${login.pathname}`, URLS_LOGIN);
      return login.searchParams.get("login_challenge") as string;
    }

    const loginRequest = async (loginChallenge: string) =>
      (await rawJson(await api.oauth2.getOAuth2LoginRequestRaw({ loginChallenge }))) as {
        skip: boolean;
        subject: string;
        session_id: string;
      };

    /** Accepts the login step; answers the admin API's raw answer. */
    const acceptLogin = (loginChallenge: string, subject: string, remember = false) =>
      fetch(`${portico.adminUrl}/admin/oauth2/auth/requests/login/accept?login_challenge=${loginChallenge}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ subject, remember, remember_for: 3600 }),
      });

    /** Through the consent step to the client: where the browser lands. */
    async function consentAndBack(browser: Browser, loginDone: string): Promise<URL> {
      const consent = locationOf(await browser.get(loginDone));
      assert.equal(`${consent.origin}${consent.pathname}`, URLS_CONSENT, consent.href);
      const consentChallenge = consent.searchParams.get("consent_challenge") as string;
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
      });
      return locationOf(await browser.get(redirect_to));
    }

    /** A browser where `subject` signed in with "remember me": a remembered login. */
    async function signedIn(subject: string): Promise<Browser> {
      const browser = new Browser();
      const challenge = await authorize(browser);
      const accepted = await acceptLogin(challenge, subject, true);
      assert.equal(accepted.status, 200);
      const { redirect_to } = (await accepted.json()) as { redirect_to: string };
      const back = await consentAndBack(browser, redirect_to);
      assert.ok(back.searchParams.get("code"), back.href);
      return browser;
    }

    const signOutEverywhere = async (subject: string) => {
      const ended = await api.oauth2.revokeOAuth2LoginSessionsRaw({ subject });
      assert.equal(ended.raw.status, 204);
    };

    test("unchanged: a remembered login covers the next request (skip) and it completes", async () => {
      const browser = await signedIn("ada");
      const challenge = await authorize(browser);
      const request = await loginRequest(challenge);
      assert.equal(request.skip, true);
      assert.equal(request.subject, "ada");
      const accepted = await acceptLogin(challenge, "ada");
      assert.equal(accepted.status, 200);
      const { redirect_to } = (await accepted.json()) as { redirect_to: string };
      assert.ok((await consentAndBack(browser, redirect_to)).searchParams.get("code"));
    });

    test("ended before the app read the login request: no skip; the person signs in anew, in a new session", async () => {
      const browser = await signedIn("bea");
      const challenge = await authorize(browser);
      const remembered = (await loginRequest(challenge)).session_id;
      await signOutEverywhere("bea");
      const request = await loginRequest(challenge);
      assert.equal(request.skip, false, "the app must ask for a sign-in");
      assert.equal(request.subject, "");
      // The app's sign-in form, then its acceptance: a sign-in like any other.
      const accepted = await acceptLogin(challenge, "bea", true);
      assert.equal(accepted.status, 200, await accepted.clone().text());
      const { redirect_to } = (await accepted.json()) as { redirect_to: string };
      const consent = locationOf(await browser.get(redirect_to));
      const consentChallenge = consent.searchParams.get("consent_challenge") as string;
      const read = (await rawJson(await api.oauth2.getOAuth2ConsentRequestRaw({ consentChallenge }))) as {
        login_session_id: string;
      };
      assert.notEqual(read.login_session_id, remembered, "not the ended session");
    });

    test("ended after the app read it with skip, before it accepted: the acceptance is refused", async () => {
      const browser = await signedIn("cid");
      const challenge = await authorize(browser);
      assert.equal((await loginRequest(challenge)).skip, true);
      await signOutEverywhere("cid");
      const accepted = await acceptLogin(challenge, "cid");
      assert.equal(accepted.status, 400, await accepted.clone().text());
      const body = (await accepted.json()) as { error: string };
      assert.equal(body.error, "invalid_request");
    });

    test("ran out (not ended) after the app read it with skip, before it accepted: the acceptance goes on, a code", async () => {
      const browser = await signedIn("cal");
      const challenge = await authorize(browser);
      const request = await loginRequest(challenge);
      assert.equal(request.skip, true);
      const db = createDatabase(portico.databaseUrl);
      try {
        await db.loginSession.update({
          where: { id: request.session_id },
          data: { expiresAt: new Date(Date.now() - 1000) },
        });
      } finally {
        await db.$disconnect();
      }
      const accepted = await acceptLogin(challenge, "cal");
      assert.equal(accepted.status, 200, await accepted.clone().text());
      const { redirect_to } = (await accepted.json()) as { redirect_to: string };
      assert.ok((await consentAndBack(browser, redirect_to)).searchParams.get("code"));
    });

    test("ended after the app accepted, before the browser came back: login_required, no code", async () => {
      const browser = await signedIn("dov");
      const challenge = await authorize(browser);
      assert.equal((await loginRequest(challenge)).skip, true);
      const accepted = await acceptLogin(challenge, "dov");
      assert.equal(accepted.status, 200);
      const { redirect_to } = (await accepted.json()) as { redirect_to: string };
      await signOutEverywhere("dov");
      const back = locationOf(await browser.get(redirect_to));
      assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI, back.href);
      assert.equal(back.searchParams.get("error"), "login_required");
      assert.equal(back.searchParams.get("code"), null);
    });

    test("a new login ended while the consent step was open: login_required, no code", async () => {
      const browser = new Browser();
      const accepted = await acceptLogin(await authorize(browser), "eve");
      const { redirect_to } = (await accepted.json()) as { redirect_to: string };
      const consent = locationOf(await browser.get(redirect_to));
      const consentChallenge = consent.searchParams.get("consent_challenge") as string;
      assert.ok(consentChallenge, consent.href);
      await signOutEverywhere("eve");
      const { redirect_to: back } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
      });
      const landed = locationOf(await browser.get(back));
      assert.equal(`${landed.origin}${landed.pathname}`, REDIRECT_URI, landed.href);
      assert.equal(landed.searchParams.get("error"), "login_required");
      assert.equal(landed.searchParams.get("code"), null);
    });
  });
}
