/**
 * The Hydra 2.x flow at its edges, over HTTP on every backend: how long a
 * login or a consent is remembered (and that a refused or concurrent answer
 * changes nothing), when a remembered consent may skip the screen for a
 * public client, what the consent sessions report, how rejections reach the
 * client, and the admin API's error bodies.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, rawJson, sdk } from "@/tests/hydra2/support.ts";
import { Browser, startOAuth2Portico } from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const URLS_LOGIN = "https://login.example/login";
const URLS_CONSENT = "https://login.example/consent";
const FOUR_HUNDRED_DAYS = 34_560_000;

interface FlowClient {
  id: string;
  redirectUri: string;
}

/** Where a redirect goes, without its query. */
function target(response: Response): { base: string; params: URLSearchParams } {
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  const location = response.headers.get("location") ?? "";
  const [base = "", query = ""] = location.split("?");
  return { base, params: new URLSearchParams(query) };
}

function challengeOf(response: Response, url: string, name: string): string {
  const { base, params } = target(response);
  assert.equal(base, url);
  const challenge = params.get(name);
  assert.ok(challenge, `${name} is in the redirect`);
  return challenge;
}

/** The Max-Age of the remembered-login cookie a response sets, if it sets one. */
function loginCookieMaxAge(response: Response): string | undefined {
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith("portico_login_session="));
  if (cookie === undefined) return undefined;
  return /Max-Age=(\d+)/i.exec(cookie)?.[1] ?? "session";
}

/** A Hydra errorOAuth2 body with exactly error, error_description and status_code (the HTTP status). */
async function assertErrorBody(response: Response, status: number, error: string): Promise<void> {
  const body = (await response.clone().json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ["error", "error_description", "status_code"]);
  assert.equal(body.status_code, status);
  await assertError(response, status, error);
}

for (const backend of BACKENDS) {
  describe(`Hydra 2.x flow at its edges (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    const web: FlowClient = { id: "limits-web", redirectUri: "https://rp.example/cb" };
    const native: FlowClient = { id: "limits-native", redirectUri: "com.example.app:/cb" };
    const spa: FlowClient = { id: "limits-spa", redirectUri: "https://spa.example/cb" };
    const loopback: FlowClient = { id: "limits-loopback", redirectUri: "http://127.0.0.1:8400/cb" };
    const trusted: FlowClient = { id: "limits-trusted-native", redirectUri: "com.example.trusted:/cb" };

    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { URLS_LOGIN, URLS_CONSENT } });
      api = sdk(portico);
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: web.id,
          redirect_uris: [web.redirectUri],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid profile",
          audience: ["https://api.example"],
        },
      });
      for (const client of [native, spa, loopback, trusted]) {
        await api.oauth2.createOAuth2Client({
          oAuth2Client: {
            client_id: client.id,
            redirect_uris: [client.redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            scope: "openid",
            token_endpoint_auth_method: "none",
            ...(client === trusted ? { skip_consent: true } : {}),
          },
        });
      }
    });
    after(async () => {
      await portico?.stop();
    });

    function authorizationUrl(client: FlowClient, extra: Record<string, string> = {}): string {
      const verifier = randomBytes(32).toString("base64url");
      const query = new URLSearchParams({
        response_type: "code",
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: client === web ? "openid profile" : "openid",
        state: randomBytes(12).toString("base64url"),
        nonce: randomBytes(12).toString("base64url"),
        code_challenge: createHash("sha256").update(verifier).digest("base64url"),
        code_challenge_method: "S256",
        ...extra,
      });
      return `${portico.url}/oauth2/auth?${query}`;
    }

    async function start(browser: Browser, client: FlowClient, extra: Record<string, string> = {}) {
      return challengeOf(await browser.get(authorizationUrl(client, extra)), URLS_LOGIN, "login_challenge");
    }

    const acceptLogin = (challenge: string, json: unknown) =>
      admin(portico, `/admin/oauth2/auth/requests/login/accept?login_challenge=${challenge}`, {
        method: "PUT",
        json,
      });
    const acceptConsent = (challenge: string, json: unknown) =>
      admin(portico, `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${challenge}`, {
        method: "PUT",
        json,
      });
    const redirectOf = async (response: Response) => {
      assert.equal(
        response.status,
        200,
        `expected 200, got ${response.status}: ${await response.clone().text()}`,
      );
      return ((await response.json()) as { redirect_to: string }).redirect_to;
    };

    /** Login (remembered when asked), back, to the consent step: its challenge and the login's answer. */
    async function toConsent(browser: Browser, client: FlowClient, login: Record<string, unknown>) {
      const challenge = await start(browser, client);
      const back = await browser.get(await redirectOf(await acceptLogin(challenge, login)));
      return { consentChallenge: challengeOf(back, URLS_CONSENT, "consent_challenge"), back };
    }

    test("login remember_for: past 400 days it is cut to 400 days; a value no JSON integer holds exactly is a 400 that changes nothing", async () => {
      const browser = new Browser();
      const challenge = await start(browser, web);
      for (const body of [
        '{"subject":"dora","remember":true,"remember_for":1e16}',
        '{"subject":"dora","remember":true,"remember_for":1e400}',
        '{"subject":"dora","remember":true,"remember_for":-1}',
        '{"subject":"dora","remember":true,"remember_for":1.5}',
        '{"subject":"dora","remember":true,"remember_for":"63072000"}',
      ]) {
        const refused = await admin(
          portico,
          `/admin/oauth2/auth/requests/login/accept?login_challenge=${challenge}`,
          { method: "PUT", body },
        );
        await assertErrorBody(refused, 400, "invalid_request");
      }
      // Nothing was recorded: the request is still open, and a good answer is taken.
      const open = await admin(portico, `/admin/oauth2/auth/requests/login?login_challenge=${challenge}`);
      assert.equal(open.status, 200);
      const twoYears = await redirectOf(
        await acceptLogin(challenge, { subject: "dora", remember: true, remember_for: 63_072_000 }),
      );
      const back = await browser.get(twoYears);
      assert.equal(loginCookieMaxAge(back), String(FOUR_HUNDRED_DAYS));
      const consentChallenge = challengeOf(back, URLS_CONSENT, "consent_challenge");
      assert.equal(
        (await admin(portico, `/admin/oauth2/auth/requests/consent?consent_challenge=${consentChallenge}`))
          .status,
        200,
      );
      // The remembered login holds: the next request in this browser skips the login step.
      const next = await start(browser, web);
      const skipped = (await (
        await admin(portico, `/admin/oauth2/auth/requests/login?login_challenge=${next}`)
      ).json()) as { skip: boolean; subject: string };
      assert.equal(skipped.skip, true);
      assert.equal(skipped.subject, "dora");

      // An absurd number that is still an exact integer is cut as well, never a server error.
      const other = new Browser();
      const { back: absurd } = await toConsent(other, web, {
        subject: "dora",
        remember: true,
        remember_for: 1e13,
      });
      assert.equal(loginCookieMaxAge(absurd), String(FOUR_HUNDRED_DAYS));
    });

    test("a login verifier brought back twice at once: one return goes on to consent, the other gets access_denied and no cookie", async () => {
      const browser = new Browser();
      const challenge = await start(browser, web);
      const redirectTo = await redirectOf(
        await acceptLogin(challenge, { subject: "erin", remember: true, remember_for: 3600 }),
      );
      const answers = await Promise.all([browser.get(redirectTo), browser.get(redirectTo)]);
      const winners = answers.filter((answer) => target(answer).base === URLS_CONSENT);
      const losers = answers.filter((answer) => target(answer).base === web.redirectUri);
      assert.equal(winners.length, 1, "exactly one return goes on");
      assert.equal(losers.length, 1);
      assert.equal(target(losers[0] as Response).params.get("error"), "access_denied");
      assert.equal(loginCookieMaxAge(losers[0] as Response), undefined, "the refused return sets no login");
      assert.equal(loginCookieMaxAge(winners[0] as Response), "3600");
      // The login session the winner started is the request's, and the one the browser holds.
      const consent = (await (
        await admin(portico, `/admin/oauth2/auth/requests/consent?consent_challenge=${challenge}`)
      ).json()) as { login_session_id: string };
      const next = await start(browser, web);
      const skipped = (await (
        await admin(portico, `/admin/oauth2/auth/requests/login?login_challenge=${next}`)
      ).json()) as { skip: boolean; session_id: string };
      assert.equal(skipped.skip, true);
      assert.equal(skipped.session_id, consent.login_session_id);
    });

    test("consent remember_for: a bad one is a 400 that records nothing; the decision and the remembered consent are one; the consent session reports them", async () => {
      const browser = new Browser();
      const { consentChallenge } = await toConsent(browser, web, { subject: "fred" });
      for (const remember_for of [1e17, -5, 0.5]) {
        await assertErrorBody(
          await acceptConsent(consentChallenge, { grant_scope: ["openid"], remember: true, remember_for }),
          400,
          "invalid_request",
        );
      }
      // Not decided: the request is still open and takes a good answer (no 409).
      const done = await redirectOf(
        await acceptConsent(consentChallenge, {
          grant_scope: ["openid", "profile"],
          grant_access_token_audience: ["https://api.example"],
          remember: true,
          remember_for: 1e14,
        }),
      );
      const callback = target(await browser.get(done));
      assert.equal(callback.base, web.redirectUri);
      assert.ok(callback.params.get("code"));

      const listed = (await rawJson(
        await api.oauth2.listOAuth2ConsentSessionsRaw({ subject: "fred" }),
      )) as Array<Record<string, unknown>>;
      assertSchema("oAuth2ConsentSessions", listed);
      assert.equal(listed.length, 1);
      const [session] = listed as [Record<string, unknown>];
      assert.deepEqual(session.grant_scope, ["openid", "profile"]);
      assert.deepEqual(session.grant_access_token_audience, ["https://api.example"]);
      assert.equal(session.remember, true);
      assert.equal(session.remember_for, FOUR_HUNDRED_DAYS);
      const request = session.consent_request as Record<string, unknown>;
      assert.equal(request.challenge, "");
      assert.equal(request.subject, "fred");
      assert.equal("requested_access_token_audience" in request, false);

      // The remembered consent is live: the next consent step of this client skips.
      const again = await toConsent(browser, web, { subject: "fred" });
      const skipped = (await (
        await admin(
          portico,
          `/admin/oauth2/auth/requests/consent?consent_challenge=${again.consentChallenge}`,
        )
      ).json()) as { skip: boolean };
      assert.equal(skipped.skip, true);

      // Remembered until revoked (0), and not remembered at all, for two other people.
      for (const [subject, consent, remember, rememberFor] of [
        ["gina", { grant_scope: ["openid"], remember: true, remember_for: 0 }, true, 0],
        ["hank", { grant_scope: ["openid"] }, false, 0],
      ] as const) {
        const other = new Browser();
        const step = await toConsent(other, web, { subject });
        const code = target(
          await other.get(await redirectOf(await acceptConsent(step.consentChallenge, consent))),
        );
        assert.ok(code.params.get("code"));
        const [only] = (await rawJson(await api.oauth2.listOAuth2ConsentSessionsRaw({ subject }))) as Array<
          Record<string, unknown>
        >;
        assert.equal(only?.remember, remember, subject);
        assert.equal(only?.remember_for, rememberFor, subject);
        assert.deepEqual(only?.grant_access_token_audience, [], subject);
      }
    });

    /** Remembers the login and the consent of `subject` for `client` in `browser`. */
    async function rememberAll(browser: Browser, client: FlowClient, subject: string) {
      const { consentChallenge } = await toConsent(browser, client, { subject, remember: true });
      const done = await redirectOf(
        await acceptConsent(consentChallenge, { grant_scope: ["openid"], remember: true }),
      );
      const callback = target(await browser.get(done));
      assert.equal(callback.base, client.redirectUri);
      assert.ok(callback.params.get("code"));
    }

    /** The next consent step of a remembered browser (its login skipped): whether it comes with skip. */
    async function nextConsentSkip(browser: Browser, client: FlowClient, subject: string): Promise<boolean> {
      const challenge = await start(browser, client);
      const back = await browser.get(await redirectOf(await acceptLogin(challenge, { subject })));
      const consentChallenge = challengeOf(back, URLS_CONSENT, "consent_challenge");
      const consent = (await (
        await admin(portico, `/admin/oauth2/auth/requests/consent?consent_challenge=${consentChallenge}`)
      ).json()) as { skip: boolean };
      return consent.skip;
    }

    /** A prompt=none request of a remembered browser, up to where it goes after the (skipped) login. */
    async function silently(browser: Browser, client: FlowClient, subject: string) {
      const challenge = await start(browser, client, { prompt: "none" });
      return target(await browser.get(await redirectOf(await acceptLogin(challenge, { subject }))));
    }

    test("a public client with a custom-scheme redirect never skips consent on a remembered one; prompt=none is consent_required", async () => {
      const browser = new Browser();
      await rememberAll(browser, native, "ivan");
      assert.equal(await nextConsentSkip(browser, native, "ivan"), false);
      const silent = await silently(browser, native, "ivan");
      assert.equal(silent.base, native.redirectUri);
      assert.equal(silent.params.get("error"), "consent_required");
      assert.equal(silent.params.get("code"), null);
    });

    test("a public client whose redirect proves it (https, http on loopback) skips on a remembered consent, prompt=none included", async () => {
      for (const client of [spa, loopback]) {
        const browser = new Browser();
        await rememberAll(browser, client, "judy");
        assert.equal(await nextConsentSkip(browser, client, "judy"), true, client.id);
        assert.equal((await silently(browser, client, "judy")).base, URLS_CONSENT, client.id);
      }
    });

    test("a trusted public client (skip_consent) skips whatever its redirect URI: the operator vouched for it", async () => {
      const browser = new Browser();
      const { consentChallenge } = await toConsent(browser, trusted, { subject: "kim", remember: true });
      const consent = (await (
        await admin(portico, `/admin/oauth2/auth/requests/consent?consent_challenge=${consentChallenge}`)
      ).json()) as { skip: boolean };
      assert.equal(consent.skip, true);
    });

    test("a rejection reaches the client with the app's error, description and hint; a bad one is a 400 that records nothing", async () => {
      const browser = new Browser();
      const challenge = await start(browser, web);
      const reject = (body: string) =>
        admin(portico, `/admin/oauth2/auth/requests/login/reject?login_challenge=${challenge}`, {
          method: "PUT",
          body,
        });
      for (const body of [
        '{"error":""}',
        '{"error":"bad\\"quote"}',
        '{"error":"custom_err","error_description":"caf\\u00e9"}',
        '{"error":"custom_err","error_hint":"line\\nbreak"}',
        `{"error":"custom_err","error_description":"${"d".repeat(1025)}"}`,
        `{"error":"${"e".repeat(65)}"}`,
        '{"error":"custom_err","status_code":200}',
        '{"error":"custom_err","error_debug":"bell\\u0007"}',
      ]) {
        await assertErrorBody(await reject(body), 400, "invalid_request");
      }
      assert.equal(
        (await admin(portico, `/admin/oauth2/auth/requests/login?login_challenge=${challenge}`)).status,
        200,
      );
      const redirectTo = await redirectOf(
        await reject('{"error":"custom_err","error_description":"d","error_hint":"h","status_code":403}'),
      );
      const told = target(await browser.get(redirectTo));
      assert.equal(told.base, web.redirectUri);
      assert.equal(told.params.get("error"), "custom_err");
      assert.equal(told.params.get("error_description"), "d h");
      assert.equal(told.params.get("code"), null);

      // The consent step: a known code with the app's own description.
      const { consentChallenge } = await toConsent(browser, web, { subject: "lena" });
      const denied = await redirectOf(
        await admin(
          portico,
          `/admin/oauth2/auth/requests/consent/reject?consent_challenge=${consentChallenge}`,
          {
            method: "PUT",
            json: { error: "access_denied", error_description: "The person said no" },
          },
        ),
      );
      const deniedAt = target(await browser.get(denied));
      assert.equal(deniedAt.params.get("error"), "access_denied");
      assert.equal(deniedAt.params.get("error_description"), "The person said no");

      // No error at all: access_denied, with the server's description.
      const bare = await start(browser, web);
      const bareTo = await redirectOf(
        await admin(portico, `/admin/oauth2/auth/requests/login/reject?login_challenge=${bare}`, {
          method: "PUT",
          json: {},
        }),
      );
      const bareAt = target(await browser.get(bareTo));
      assert.equal(bareAt.params.get("error"), "access_denied");
      assert.ok(bareAt.params.get("error_description"));
    });

    test("a consent accept's session claims are bounded, and no admin body may hold NUL: 400s that change nothing", async () => {
      const browser = new Browser();
      const { consentChallenge } = await toConsent(browser, web, { subject: "nina" });
      const nested = (depth: number): unknown => (depth <= 1 ? {} : { x: nested(depth - 1) });
      for (const session of [
        { id_token: nested(33) },
        { access_token: { big: "x".repeat(17 * 1024) } },
        { id_token: JSON.parse('{"__proto__": {"sub": "someone-else"}}') },
      ]) {
        await assertErrorBody(
          await acceptConsent(consentChallenge, { grant_scope: ["openid"], session }),
          400,
          "invalid_request",
        );
      }
      await assertErrorBody(
        await acceptConsent(consentChallenge, {
          grant_scope: ["openid"],
          session: { id_token: { n: "a\u0000b" } },
        }),
        400,
        "invalid_request",
      );
      await assertErrorBody(
        await admin(portico, "/admin/clients", { method: "POST", json: { client_name: "a\u0000b" } }),
        400,
        "invalid_request",
      );
      // Still undecided: a good answer within the bounds goes through.
      const done = await redirectOf(
        await acceptConsent(consentChallenge, { grant_scope: ["openid"], session: { id_token: nested(32) } }),
      );
      assert.ok(target(await browser.get(done)).params.get("code"));
    });

    test("admin errors are Hydra's errorOAuth2 with status_code", async () => {
      await assertErrorBody(await admin(portico, "/admin/no-such-operation"), 404, "Not Found");
      await assertErrorBody(
        await admin(portico, "/admin/oauth2/auth/requests/login?login_challenge=unknown"),
        404,
        "Not Found",
      );
      await assertErrorBody(
        await admin(portico, "/admin/oauth2/auth/requests/login"),
        400,
        "invalid_request",
      );
      const browser = new Browser();
      const challenge = await start(browser, web);
      await redirectOf(await acceptLogin(challenge, { subject: "mia" }));
      await assertErrorBody(await acceptLogin(challenge, { subject: "mia" }), 409, "Conflict");
    });

    test("none of the above failed on the server", () => {
      assert.doesNotMatch(portico.output(), /"level":"(error|fatal)"/);
    });
  });
}
