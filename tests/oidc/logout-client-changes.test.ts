/**
 * A sign-out request keeps the post-logout URI it was checked against while
 * the person is at the app (up to CHALLENGE_TOKEN_LIFESPAN). Meanwhile, on any
 * process of any instance, the client may drop that URI or be deleted: the
 * browser then goes only where the client says now — never to a URI it gave
 * up, nor to a deleted client's. Both faces: the 2017 additions (the app's
 * accept, the browser's return) and Hydra 2.x's (the verifier's return, which
 * falls back to URLS_POST_LOGOUT_REDIRECT). Two workers: the write and the
 * return need not meet the same process.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sdk } from "@/tests/hydra2/support.ts";
import { Browser, ConsentApp, registerClient, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const LOGOUT_URL = "https://consent.example/logout";
const KEPT = "https://rp.example/signed-out";
const DROPPED = "https://rp.example/bye";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const URLS_LOGOUT = "https://login.example/logout";
const URLS_POST_LOGOUT_REDIRECT = "https://www.example/signed-out";

function locationOf(response: Response): URL {
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  return new URL(response.headers.get("location") ?? "");
}

/** Replaces the client's registration with `post_logout_redirect_uris` (2017 PUT), or deletes it. */
async function change(portico: Portico, id: string, postLogout: string[] | "deleted"): Promise<void> {
  const token = await portico.rootToken("hydra.clients");
  if (postLogout === "deleted") {
    assert.equal((await portico.call(`/clients/${id}`, { method: "DELETE", token })).status, 204);
    return;
  }
  const read = (await (await portico.call(`/clients/${id}`, { token })).json()) as Record<string, unknown>;
  const { client_secret: _secret, ...fields } = read;
  const put = await portico.call(`/clients/${id}`, {
    method: "PUT",
    token,
    json: { ...fields, post_logout_redirect_uris: postLogout },
  });
  assert.equal(put.status, 200, await put.text());
}

for (const backend of BACKENDS) {
  describe(`a sign-out goes back only to a URI the client still registers (2017 face, ${backend})`, () => {
    let portico: Portico;
    let app: ConsentApp;

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { LOGOUT_URL, WORKERS: "2" } });
      app = await ConsentApp.for(portico);
    });
    after(async () => {
      await portico?.stop();
    });

    const logoutApi = (path: string, init: { method?: string; json?: unknown } = {}) =>
      portico.call(`/oauth2/logout/requests/${path}`, { ...init, token: app.token });

    /** A client registering KEPT and DROPPED; a sign-out request to DROPPED started in `browser`. */
    async function started(browser: Browser) {
      const rp = await registerClient(portico, {
        scope: "openid",
        post_logout_redirect_uris: [KEPT, DROPPED],
      });
      const query = new URLSearchParams({ client_id: rp.id, post_logout_redirect_uri: DROPPED, state: "st" });
      const location = locationOf(await browser.get(`${portico.url}/oauth2/sessions/logout?${query}`));
      assert.equal(`${location.origin}${location.pathname}`, LOGOUT_URL);
      return { rp, id: location.searchParams.get("logout") as string };
    }

    test("unchanged: the accept names the way back, which goes to the URI with state once", async () => {
      const browser = new Browser();
      const { id } = await started(browser);
      const accepted = await logoutApi(`${id}/accept`, { method: "PATCH", json: {} });
      const { redirectTo } = (await accepted.json()) as { redirectTo: string };
      const back = locationOf(await browser.get(redirectTo));
      assert.equal(back.href, `${DROPPED}?state=st`);
    });

    for (const what of ["dropped the URI", "was deleted"] as const) {
      test(`the client ${what} before the app accepted: no way back to it`, async () => {
        const browser = new Browser();
        const { rp, id } = await started(browser);
        await change(portico, rp.id, what === "was deleted" ? "deleted" : [KEPT]);
        const accepted = await logoutApi(`${id}/accept`, { method: "PATCH", json: {} });
        assert.equal(accepted.status, 200);
        assert.deepEqual(await accepted.json(), {}, "the app shows its own page, as without a URI");
        const back = await browser.get(`${portico.url}/oauth2/sessions/logout?logout=${id}`);
        assert.equal(back.status, 400);
        assert.equal(back.headers.get("location"), null);
      });

      test(`the client ${what} after the app accepted: the return goes nowhere`, async () => {
        const browser = new Browser();
        const { rp, id } = await started(browser);
        const accepted = await logoutApi(`${id}/accept`, { method: "PATCH", json: {} });
        const { redirectTo } = (await accepted.json()) as { redirectTo: string };
        await change(portico, rp.id, what === "was deleted" ? "deleted" : [KEPT]);
        for (let i = 0; i < 2; i++) {
          const back = await browser.get(redirectTo);
          assert.equal(back.status, 400, `not sent back (${back.headers.get("location")})`);
          assert.equal(back.headers.get("location"), null);
        }
      });
    }
  });

  describe(`a sign-out goes back only to a URI the client still registers (Hydra 2.x face, ${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;

    before(async () => {
      portico = await startOAuth2Portico({
        backend,
        env: { URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT, URLS_POST_LOGOUT_REDIRECT, WORKERS: "2" },
      });
      api = sdk(portico);
    });
    after(async () => {
      await portico?.stop();
    });

    /** A signed-in browser (a remembered login) and a sign-out request to DROPPED it started; accepted. */
    async function acceptedSignOut() {
      const id = `rp-${Math.random().toString(36).slice(2)}`;
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: id,
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
          post_logout_redirect_uris: [KEPT, DROPPED],
        },
      });
      const browser = new Browser();
      const auth = new URLSearchParams({
        client_id: id,
        response_type: "code",
        redirect_uri: "https://rp.example/cb",
        scope: "openid",
        state: "state-of-the-sign-in",
      });
      const login = locationOf(await browser.get(`${portico.url}/oauth2/auth?${auth}`));
      const loginChallenge = login.searchParams.get("login_challenge") as string;
      const { redirect_to: loginDone } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject: "dora", remember: true, remember_for: 3600 },
      });
      const consentChallenge = locationOf(await browser.get(loginDone)).searchParams.get(
        "consent_challenge",
      ) as string;
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
      });
      locationOf(await browser.get(redirect_to));

      const query = new URLSearchParams({ client_id: id, post_logout_redirect_uri: DROPPED, state: "st" });
      const challenge = locationOf(await browser.get(`${portico.url}/oauth2/sessions/logout?${query}`));
      const logoutChallenge = challenge.searchParams.get("logout_challenge") as string;
      assert.ok(logoutChallenge, challenge.href);
      const { redirect_to: back } = await api.oauth2.acceptOAuth2LogoutRequest({ logoutChallenge });
      return { id, browser, back };
    }

    test("unchanged: the verifier's return goes to the URI with state", async () => {
      const { browser, back } = await acceptedSignOut();
      assert.equal(locationOf(await browser.get(back)).href, `${DROPPED}?state=st`);
    });

    for (const what of ["dropped the URI", "was deleted"] as const) {
      test(`the client ${what} meanwhile: the session ends and the browser goes to URLS_POST_LOGOUT_REDIRECT`, async () => {
        const { id, browser, back } = await acceptedSignOut();
        if (what === "was deleted") await api.oauth2.deleteOAuth2Client({ id });
        else
          await api.oauth2.patchOAuth2Client({
            id,
            jsonPatch: [{ op: "replace", path: "/post_logout_redirect_uris", value: [KEPT] }],
          });
        const answer = await browser.get(back);
        assert.equal(locationOf(answer).href, URLS_POST_LOGOUT_REDIRECT);
        assert.ok(
          answer.headers.getSetCookie().some((line) => /Max-Age=0/i.test(line)),
          "the login session's cookie is dropped all the same",
        );
      });
    }
  });
}
