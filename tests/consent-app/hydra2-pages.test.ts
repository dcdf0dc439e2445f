/**
 * The app's Hydra 2.x pages (/login?login_challenge=, /consent?consent_challenge=,
 * /logout?logout_challenge=) against a started Portico in 2.x mode, over HTTP:
 * bad, unknown and used challenges are a page that says so — never a 5xx.
 * (`npm run build` first: the pages are served from the build.)
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { admin, sdk } from "@/tests/hydra2/support.ts";
import { Browser } from "@/tests/oauth2/support.ts";
import { type Portico, startPortico } from "@/tests/support/server.ts";

/** A page as a browser gets it; GET /consent only redirects, to the consent screen when there is one. */
async function page(portico: Portico, path: string): Promise<{ status: number; text: string }> {
  let response = await fetch(`${portico.url}${path}`, { redirect: "manual" });
  const location = response.headers.get("location") ?? "";
  if (response.status === 303 && location.startsWith("/consent/ask?")) {
    response = await fetch(`${portico.url}${location}`, { redirect: "manual" });
  }
  return { status: response.status, text: await response.text() };
}

describe("the app's Hydra 2.x pages", () => {
  let portico: Portico;
  const redirectUri = "http://127.0.0.1:9/cb";

  before(async () => {
    portico = await startPortico({ hydraV2: true });
    await sdk(portico).oauth2.createOAuth2Client({
      oAuth2Client: {
        client_id: "pages-rp",
        client_name: "Pages RP",
        client_secret: "pages-rp-secret-0123456789",
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid profile",
      },
    });
  });
  after(async () => {
    await portico?.stop();
  });

  /** Starts an authorization in a fresh browser; returns the login challenge the server hands out. */
  async function loginChallenge(extra: Record<string, string> = {}): Promise<string> {
    const query = new URLSearchParams({
      response_type: "code",
      client_id: "pages-rp",
      redirect_uri: redirectUri,
      scope: "openid profile",
      state: "state-0123456789",
      ...extra,
    });
    const response = await new Browser().get(`${portico.url}/oauth2/auth?${query}`);
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get("location") ?? "");
    assert.equal(`${location.origin}${location.pathname}`, `${portico.url}/login`);
    return location.searchParams.get("login_challenge") ?? "";
  }

  const cases: Array<[name: string, path: string, expected: RegExp]> = [
    [
      "a login challenge Hydra does not know",
      "/login?login_challenge=unknown-challenge",
      /could not find this sign-in request/,
    ],
    [
      "a consent challenge Hydra does not know",
      "/consent?consent_challenge=unknown-challenge",
      /could not find this sign-in request/,
    ],
    ["a malformed login challenge", "/login?login_challenge=%3Cscript%3E", /This link is incomplete/],
    ["an empty consent challenge", "/consent?consent_challenge=", /This link is incomplete/],
    [
      "a malformed logout challenge",
      "/logout/confirm?logout_challenge=a%20b",
      /This sign-out link is incomplete/,
    ],
  ];
  for (const [name, path, expected] of cases) {
    test(`${name}: a page that says so, not a 5xx`, async () => {
      const { status, text } = await page(portico, path);
      assert.equal(status, 200);
      assert.match(text, expected);
    });
  }

  test("a real login challenge shows the sign-in form for the app that asks, with Cancel", async () => {
    const { status, text } = await page(portico, `/login?login_challenge=${await loginChallenge()}`);
    assert.equal(status, 200);
    assert.match(text, /to continue to <!-- -->Pages RP|to continue to Pages RP/);
    assert.match(text, /name="login_challenge"/);
    assert.match(text, />Cancel</);
  });

  test("login_hint prefills the email field, and only that", async () => {
    const challenge = await loginChallenge({ login_hint: "hinted@example.com" });
    const { text } = await page(portico, `/login?login_challenge=${challenge}`);
    assert.match(
      text,
      /name="email"[^>]*value="hinted@example.com"|value="hinted@example.com"[^>]*name="email"/,
    );
  });

  test("a login challenge used as a consent challenge before its login step is not found", async () => {
    const { text } = await page(portico, `/consent?consent_challenge=${await loginChallenge()}`);
    assert.match(text, /could not find this sign-in request/);
  });

  test("an answered login request: the page says it was already answered", async () => {
    const challenge = await loginChallenge();
    const accepted = await admin(
      portico,
      `/admin/oauth2/auth/requests/login/accept?login_challenge=${challenge}`,
      {
        method: "PUT",
        json: { subject: "someone" },
      },
    );
    assert.equal(accepted.status, 200);
    const { status, text } = await page(portico, `/login?login_challenge=${challenge}`);
    assert.equal(status, 200);
    assert.match(text, /already answered/);
  });

  test("/logout?logout_challenge= goes to the confirmation page, which explains an unknown request", async () => {
    const response = await fetch(`${portico.url}/logout?logout_challenge=unknown-challenge`, {
      redirect: "manual",
    });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get("location") ?? "");
    assert.equal(location.pathname, "/logout/confirm");
    assert.equal(location.searchParams.get("logout_challenge"), "unknown-challenge");
    const { status, text } = await page(portico, `${location.pathname}${location.search}`);
    assert.equal(status, 200);
    assert.match(text, /already used or has expired/);
  });
});

describe("Hydra 2.x challenges when the app is not set up for them (no HYDRA_ADMIN_URL)", () => {
  let portico: Portico;
  before(async () => {
    portico = await startPortico();
  });
  after(async () => {
    await portico?.stop();
  });

  test("a clear page, not a 5xx", async () => {
    for (const path of ["/login?login_challenge=abc", "/consent?consent_challenge=abc"]) {
      const { status, text } = await page(portico, path);
      assert.equal(status, 200, path);
      assert.match(text, /cannot be used here/, path);
    }
    // Anyone can edit such a URL: a warning, not an error an operator is paged for.
    const lines = portico
      .output()
      .split("\n")
      .filter((line) => line.includes("could not be used"));
    assert.ok(lines.length > 0, portico.output());
    for (const line of lines) assert.equal((JSON.parse(line) as { level: string }).level, "warn", line);
  });
});
