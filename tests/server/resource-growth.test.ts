/**
 * What an anonymous or low-privileged caller can make the server store, on
 * every backend: sign-out requests are rate-limited like authorization
 * requests, the ones nobody decided go at the first purge after they expire,
 * one request cannot make a stored sign-out request large, and a consent the
 * Hydra 2.x face remembered for a while goes once that while is over.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { loadConfig } from "@/server/config/config.ts";
import { purgeExpired } from "@/server/housekeeping.ts";
import { sdk } from "@/tests/hydra2/support.ts";
import { Browser, registerClient, SYSTEM_SECRET, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;

for (const backend of BACKENDS) {
  describe(`sign-out requests anyone can make (${backend})`, () => {
    let portico: Portico;
    let db: Database;

    before(async () => {
      // A burst of 5 and next to no refill (one token in 1,000 s), so no test depends on its speed.
      portico = await startOAuth2Portico({ backend, env: { AUTH_RATE_LIMIT: "5,0.001" } });
      db = createDatabase(portico.databaseUrl);
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
    });

    test("the end-session endpoint spends from AUTH_RATE_LIMIT, in one bucket with /oauth2/auth", async () => {
      const client = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
      });
      const endSession = () => fetch(`${portico.url}/oauth2/sessions/logout`, { redirect: "manual" });
      for (let i = 0; i < 5; i++) assert.equal((await endSession()).status, 302, `request ${i + 1}`);
      const limited = await endSession();
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      assert.match(await limited.text(), /temporarily_unavailable/);
      assert.equal(await db.logoutRequest.count(), 5, "the refused request stored nothing");
      const authorize = await fetch(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          client_id: client.id,
          redirect_uri: client.redirectUri,
          response_type: "code",
          state: "state-0123456789",
        })}`,
        { redirect: "manual" },
      );
      assert.equal(authorize.status, 429, "the same address's authorization requests wait too");
      await authorize.body?.cancel();
    });
  });

  describe(`purging sign-out requests (${backend})`, () => {
    let portico: Portico;
    let db: Database;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      db = createDatabase(portico.databaseUrl);
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
    });

    test("one nobody decided goes at the first purge after it expired; an accepted one stays a day", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const answer = await fetch(`${portico.url}/oauth2/sessions/logout`, { redirect: "manual" });
        assert.equal(answer.status, 302);
        const id = new URL(answer.headers.get("location") ?? "").searchParams.get("logout");
        assert.ok(id);
        ids.push(id);
      }
      const [undecided, accepted] = ids as [string, string];
      const accept = await portico.call(`/oauth2/logout/requests/${accepted}/accept`, {
        method: "PATCH",
        token: await portico.rootToken("hydra.consent"),
        json: {},
      });
      assert.equal(accept.status, 200);
      const config = loadConfig({ SYSTEM_SECRET });
      const expired = Date.now() + 10 * MINUTE + 1000; // CHALLENGE_TOKEN_LIFESPAN (10m) has passed
      assert.equal((await purgeExpired(db, config, expired)).logoutRequests, 1);
      assert.equal(
        await db.logoutRequest.count({ where: { id: undecided } }),
        0,
        "the undecided one is gone",
      );
      assert.equal(await db.logoutRequest.count({ where: { id: accepted } }), 1, "the accepted one stays");
      assert.equal((await purgeExpired(db, config, expired + DAY)).logoutRequests, 1);
      assert.equal(await db.logoutRequest.count(), 0);
    });
  });

  describe(`Hydra 2.x state (${backend})`, () => {
    const URLS_LOGIN = "https://login.example/login";
    const URLS_CONSENT = "https://login.example/consent";
    const URLS_LOGOUT = "https://login.example/logout";
    const URLS_ERROR = "https://login.example/error";
    let portico: Portico;
    let db: Database;
    let api: ReturnType<typeof sdk>;

    before(async () => {
      portico = await startOAuth2Portico({
        backend,
        env: { URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT, URLS_ERROR },
      });
      db = createDatabase(portico.databaseUrl);
      api = sdk(portico);
      for (const clientId of ["rp-growth", "rp-growth-2"]) {
        await api.oauth2.createOAuth2Client({
          oAuth2Client: {
            client_id: clientId,
            redirect_uris: ["https://rp.example/cb"],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            scope: "openid",
          },
        });
      }
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
    });

    /** Starts the flow of `clientId` in `browser` and signs `subject` in, remembered; answers the consent challenge. */
    async function signIn(browser: Browser, clientId: string, subject: string): Promise<string> {
      const started = await browser.get(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          client_id: clientId,
          redirect_uri: "https://rp.example/cb",
          response_type: "code",
          scope: "openid",
          state: "state-0123456789",
        })}`,
      );
      const loginChallenge = new URL(started.headers.get("location") ?? "").searchParams.get(
        "login_challenge",
      );
      assert.ok(loginChallenge);
      const { redirect_to: loginDone } = await api.oauth2.acceptOAuth2LoginRequest({
        loginChallenge,
        acceptOAuth2LoginRequest: { subject, remember: true, remember_for: 3600 },
      });
      const consentChallenge = new URL(
        (await browser.get(loginDone)).headers.get("location") ?? "",
      ).searchParams.get("consent_challenge");
      assert.ok(consentChallenge);
      return consentChallenge;
    }

    test("a signed-in browser's end-session POST over 16 KiB is refused and stores nothing", async () => {
      // A remembered login in this browser: the person's own, nothing more.
      const browser = new Browser();
      await signIn(browser, "rp-growth", "someone");
      assert.equal(await db.loginSession.count({ where: { subject: "someone" } }), 1);

      const large = await browser.post(`${portico.url}/oauth2/sessions/logout`, {
        padding: "x".repeat(64 * 1024),
      });
      assert.equal(large.status, 302);
      const refused = new URL(large.headers.get("location") ?? "");
      assert.equal(`${refused.origin}${refused.pathname}`, URLS_ERROR);
      assert.equal(refused.searchParams.get("error"), "invalid_request");
      assert.equal(await db.logoutRequest.count(), 0, "nothing was stored");

      const usual = await browser.post(`${portico.url}/oauth2/sessions/logout`, { ui_locales: "en" });
      const location = new URL(usual.headers.get("location") ?? "");
      assert.equal(`${location.origin}${location.pathname}`, URLS_LOGOUT);
      assert.ok(location.searchParams.get("logout_challenge"));
      assert.equal(await db.logoutRequest.count(), 1);
    });

    test("a consent remembered for a while goes at the first purge after it lapsed; one until revoked stays", async () => {
      const browser = new Browser();
      for (const [clientId, rememberFor] of [
        ["rp-growth", 3600],
        ["rp-growth-2", 0],
      ] as const) {
        const consentChallenge = await signIn(browser, clientId, "remembering");
        const accepted = await api.oauth2.acceptOAuth2ConsentRequest({
          consentChallenge,
          acceptOAuth2ConsentRequest: { grant_scope: ["openid"], remember: true, remember_for: rememberFor },
        });
        assert.equal((await browser.get(accepted.redirect_to)).status, 302);
      }
      const remembered = { subject: "remembering" };
      assert.equal(await db.rememberedConsent.count({ where: remembered }), 2);
      const config = loadConfig({ SYSTEM_SECRET });
      assert.equal((await purgeExpired(db, config)).rememberedConsents, 0, "nothing lapsed yet");
      const lapsed = Date.now() + 3600_000 + 1000;
      assert.equal((await purgeExpired(db, config, lapsed)).rememberedConsents, 1);
      const left = await db.rememberedConsent.findMany({ where: remembered, select: { clientId: true } });
      assert.deepEqual(left, [{ clientId: "rp-growth-2" }], "remembered until revoked: kept");
    });

    test("the purge of remembered consents has an index", async () => {
      const rows =
        backend === "sqlite"
          ? await db.$queryRawUnsafe<{ name: string }[]>(
              `SELECT name FROM sqlite_master WHERE type = 'index'`,
            )
          : await db.$queryRawUnsafe<{ name: string }[]>(`SELECT indexname AS name FROM pg_indexes`);
      assert.ok(rows.some((row) => row.name === "remembered_consents_expiresAt_idx"));
    });
  });
}
