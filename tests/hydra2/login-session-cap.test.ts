/**
 * The Hydra 2.x face's login sessions are capped per subject as the app's
 * own sign-in sessions are (MAX_SESSIONS_PER_PERSON): every login that is not
 * skipped starts one (remembered or not), so without a cap logins again and
 * again grow a subject's rows without bound. A login past the cap ends the
 * subject's oldest ones in the transaction that stores the new one, and the
 * apps they signed in to get a logout token. Real server in 2.x mode, over
 * HTTP, both backends.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { MAX_SESSIONS_PER_PERSON } from "@/common/session-cap.ts";
import { createDatabase, type Database } from "@/db/client.ts";
import { challengeOf, LogoutReceiver, sdk } from "@/tests/hydra2/support.ts";
import { Browser, relyingParty, startOAuth2Portico, type TestClient } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";

for (const backend of BACKENDS) {
  describe(`Hydra 2.x: at most ${MAX_SESSIONS_PER_PERSON} login sessions per subject (${backend})`, {
    timeout: 180_000,
  }, () => {
    let portico: Portico;
    let db: Database;
    let api: ReturnType<typeof sdk>;
    let receiver: LogoutReceiver;
    let client: TestClient;
    let config: oidc.Configuration;

    before(async () => {
      receiver = await new LogoutReceiver().start();
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      db = createDatabase(portico.databaseUrl);
      api = sdk(portico);
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "rp-capped",
          redirect_uris: ["https://rp.example/cb"],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
          backchannel_logout_uri: receiver.url,
          backchannel_logout_session_required: true,
        },
      });
      client = { id: "rp-capped", secret: created.client_secret, redirectUri: "https://rp.example/cb" };
      config = await relyingParty(portico, client);
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
      await receiver?.stop();
    });

    /** A login step of a new request in `browser`, accepted for `subject` and verified: one login session. */
    async function login(browser: Browser, subject: string, remember: boolean) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: oidc.randomState(),
      });
      const loginChallenge = challengeOf(await browser.get(url.href), URLS_LOGIN, "login_challenge");
      const { redirect_to } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject, remember, remember_for: 3600 },
      });
      const consentChallenge = challengeOf(await browser.get(redirect_to), URLS_CONSENT, "consent_challenge");
      return { loginChallenge, consentChallenge };
    }

    /** A whole sign-in of `subject` in `browser`, to the tokens; the ID token's `sid`. */
    async function signIn(browser: Browser, subject: string): Promise<string> {
      const { consentChallenge } = await login(browser, subject, true);
      const { redirect_to } = await api.oauth2.acceptOAuth2ConsentRequest({
        consentChallenge,
        acceptOAuth2ConsentRequest: { grant_scope: ["openid"] },
      });
      const back = await browser.get(redirect_to);
      assert.equal(back.status, 302);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get("location") ?? ""), {
        expectedState: oidc.skipStateCheck,
        idTokenExpected: true,
      });
      return (tokens.claims() as oidc.IDToken).sid as string;
    }

    /** Whether this browser's next request is covered by a remembered login (skip). */
    async function remembered(browser: Browser): Promise<boolean> {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: client.redirectUri,
        scope: "openid",
        state: oidc.randomState(),
      });
      const loginChallenge = challengeOf(await browser.get(url.href), URLS_LOGIN, "login_challenge");
      return (await api.oauth2.getOAuth2LoginRequest({ loginChallenge })).skip;
    }

    const count = (subject: string) => db.loginSession.count({ where: { subject } });

    test("a login past the cap ends the subject's oldest login session, and its app is told", async () => {
      const oldest = new Browser();
      const oldestSid = await signIn(oldest, "dana");
      const second = new Browser();
      const secondSid = await signIn(second, "dana");
      // Another subject's sessions are no one else's count.
      await login(new Browser(), "eve", false);
      // Remembered or not, every login that is not skipped starts a login session.
      for (let i = 2; i < MAX_SESSIONS_PER_PERSON; i++) await login(new Browser(), "dana", i % 2 === 0);
      assert.equal(await count("dana"), MAX_SESSIONS_PER_PERSON);
      assert.equal(receiver.tokens.length, 0, "nothing ended yet");
      assert.equal(await remembered(oldest), true);

      const newest = new Browser();
      await login(newest, "dana", true);
      assert.equal(await count("dana"), MAX_SESSIONS_PER_PERSON, "never more than the cap");
      assert.equal(await db.loginSession.count({ where: { id: oldestSid } }), 0, "the oldest ended");
      assert.equal(await db.loginSession.count({ where: { id: secondSid } }), 1, "the next one kept");
      assert.equal(await count("eve"), 1);
      assert.equal(await remembered(oldest), false, "its browser signs in again");
      assert.equal(await remembered(second), true);
      assert.equal(await remembered(newest), true);

      const [token] = await receiver.waitFor(1);
      const { payload } = await jwtVerify(
        token as string,
        createRemoteJWKSet(new URL(`${portico.url}/.well-known/jwks.json`)),
        { issuer: portico.url, audience: client.id, typ: "logout+jwt" },
      );
      assert.equal(payload.sub, "dana");
      assert.equal(payload.sid, oldestSid);
      assert.equal(receiver.tokens.length, 1, "only the ended session's app is told");
    });
  });
}
