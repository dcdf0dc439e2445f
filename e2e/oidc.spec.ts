import { createHash, randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { decodeJwt } from "jose";
import {
  authorizePath,
  expect,
  type OtherSite,
  recordNavigations,
  registerAppClient,
  test,
} from "./fixtures.ts";
import type { ConsentPage } from "./pages/consent.ts";
import type { LoginPage } from "./pages/login.ts";

/**
 * OpenID Connect's sign-in parameters through the real pages: prompt=none
 * (answered without any page), prompt=login, max_age, login_hint and a
 * trusted (skip_consent) client. Each test registers a confidential client
 * of its own and exchanges the code itself, to read the ID token.
 */

const VERIFIER = randomBytes(32).toString("base64url");
const CHALLENGE = createHash("sha256").update(VERIFIER).digest("base64url");

interface TestClient {
  id: string;
  secret: string;
  redirectUri: string;
}

/** A confidential client of this test's own, returning to the other site's /callback. */
async function registerClient(
  baseURL: string,
  otherSite: OtherSite,
  options: { skipConsent?: boolean } = {},
): Promise<TestClient> {
  const id = `oidc-e2e-${randomBytes(6).toString("hex")}`;
  const secret = randomBytes(24).toString("base64url");
  const redirectUri = await registerAppClient(baseURL, otherSite, {
    id,
    client_secret: secret,
    client_name: options.skipConsent ? "Trusted First Party" : "Relying Party",
    scope: "openid profile email",
    ...(options.skipConsent ? { skip_consent: true } : {}),
  });
  return { id, secret, redirectUri };
}

function authorizeUrl(client: TestClient, params: Record<string, string> = {}): string {
  return authorizePath({
    client_id: client.id,
    redirect_uri: client.redirectUri,
    scope: "openid profile email",
    state: `state-${randomBytes(6).toString("hex")}`,
    nonce: `nonce-${randomBytes(6).toString("hex")}`,
    code_challenge: CHALLENGE,
    ...params,
  });
}

/** Since `shown` was emptied, no page of Portico's showed, only the client's callback. */
function expectNoPage(shown: string[]): void {
  expect(shown.filter((path) => path.startsWith("/login") || path.startsWith("/consent"))).toEqual([]);
  expect(shown.at(-1)).toBe("/callback");
}

/** The client's callback: its query, once the browser is there. */
async function callback(page: Page): Promise<URLSearchParams> {
  await expect(page).toHaveURL(/\/callback\?/);
  return new URL(page.url()).searchParams;
}

async function exchange(baseURL: string, client: TestClient, code: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseURL}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: client.redirectUri,
      code_verifier: VERIFIER,
    }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const { id_token: idToken } = (await response.json()) as { id_token: string };
  return decodeJwt(idToken);
}

/** Signs in and allows, remembering the decision: the client's first visit. */
async function signInAndRemember(
  page: Page,
  pages: { loginPage: LoginPage; consentPage: ConsentPage },
  client: TestClient,
  user: { email: string; password: string },
): Promise<void> {
  await page.goto(authorizeUrl(client));
  await pages.loginPage.signIn(user.email, user.password);
  await pages.consentPage.expectShown();
  await pages.consentPage.allow({ remember: true });
  expect((await callback(page)).get("code")).toBeTruthy();
}

test.describe("OpenID Connect sign-in parameters", () => {
  test("login_hint prefills the email, and proves nothing: whoever signs in is the subject", async ({
    page,
    baseURL,
    otherSite,
    loginPage,
    consentPage,
    user,
  }) => {
    const client = await registerClient(baseURL!, otherSite);
    await page.goto(authorizeUrl(client, { login_hint: "somebody-else@example.com" }));
    await loginPage.expectShown();
    await expect(loginPage.email).toHaveValue("somebody-else@example.com");
    // Nobody was signed in by the hint.
    await expect(page.getByText("to continue to Relying Party")).toBeVisible();

    await loginPage.email.fill(user.email);
    await loginPage.password.fill(user.password);
    await loginPage.signInButton.click();
    await consentPage.expectShown();
    await expect(page.getByText(user.email)).toBeVisible();
    await consentPage.allow();
    const claims = await exchange(baseURL!, client, (await callback(page)).get("code")!);
    expect(claims.sub).toBe(user.id);
    expect(claims.email).toBe(user.email);
  });

  test("prompt=none answers without a page: login_required, consent_required, then the code", async ({
    page,
    baseURL,
    otherSite,
    loginPage,
    consentPage,
    user,
  }) => {
    const client = await registerClient(baseURL!, otherSite);
    const shown = recordNavigations(page);

    await page.goto(authorizeUrl(client, { prompt: "none", state: "silent-1" }));
    let back = await callback(page);
    expect(back.get("error")).toBe("login_required");
    expect(back.get("state")).toBe("silent-1");
    expectNoPage(shown);

    // Signed in (for another app) but no decision for this one.
    await loginPage.signInToAccount(user.email, user.password);
    shown.length = 0;
    await page.goto(authorizeUrl(client, { prompt: "none", state: "silent-2" }));
    back = await callback(page);
    expect(back.get("error")).toBe("consent_required");
    expect(back.get("state")).toBe("silent-2");
    expectNoPage(shown);

    // A remembered decision: the code, and still no page.
    await page.goto(authorizeUrl(client));
    await consentPage.expectShown();
    await consentPage.allow({ remember: true });
    await callback(page);
    shown.length = 0;
    await page.goto(authorizeUrl(client, { prompt: "none", state: "silent-3" }));
    back = await callback(page);
    expect(back.get("error")).toBeNull();
    expect(back.get("state")).toBe("silent-3");
    expectNoPage(shown);
    const claims = await exchange(baseURL!, client, back.get("code")!);
    expect(claims.sub).toBe(user.id);
  });

  test("prompt=login shows the sign-in form despite a session; auth_time is the new sign-in", async ({
    page,
    baseURL,
    otherSite,
    loginPage,
    consentPage,
    user,
    db,
  }) => {
    const client = await registerClient(baseURL!, otherSite);
    await signInAndRemember(page, { loginPage, consentPage }, client, user);
    const [first] = await db.session.findMany({ where: { userId: user.id } });

    await page.goto(authorizeUrl(client, { prompt: "login" }));
    await loginPage.expectShown();
    await expect(page.getByText("The app asks you to sign in again.")).toBeVisible();
    await expect(loginPage.email).toHaveValue(user.email);
    await loginPage.password.fill(user.password);
    await loginPage.signInButton.click();
    // The decision is remembered: the new sign-in leads straight back to the app.
    const claims = await exchange(baseURL!, client, (await callback(page)).get("code")!);

    const sessions = await db.session.findMany({ where: { userId: user.id } });
    expect(sessions).toHaveLength(1);
    const [second] = sessions;
    expect(second!.id).not.toBe(first!.id);
    expect(claims.auth_time).toBe(Math.floor(second!.authTime.getTime() / 1000));
  });

  test("max_age: an older sign-in must sign in again; a recent enough one goes straight on", async ({
    page,
    baseURL,
    otherSite,
    loginPage,
    consentPage,
    user,
    db,
  }) => {
    const client = await registerClient(baseURL!, otherSite);
    await signInAndRemember(page, { loginPage, consentPage }, client, user);
    // The sign-in was two minutes ago.
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await db.session.updateMany({ where: { userId: user.id }, data: { authTime: twoMinutesAgo } });

    const shown = recordNavigations(page);
    await page.goto(authorizeUrl(client, { max_age: "3600" }));
    let claims = await exchange(baseURL!, client, (await callback(page)).get("code")!);
    expect(claims.auth_time).toBe(Math.floor(twoMinutesAgo.getTime() / 1000));
    expectNoPage(shown);

    await page.goto(authorizeUrl(client, { max_age: "60" }));
    await loginPage.expectShown();
    await expect(page.getByText("The app asks you to sign in again.")).toBeVisible();
    await loginPage.password.fill(user.password);
    await loginPage.signInButton.click();
    claims = await exchange(baseURL!, client, (await callback(page)).get("code")!);
    const [session] = await db.session.findMany({ where: { userId: user.id } });
    expect(claims.auth_time).toBe(Math.floor(session!.authTime.getTime() / 1000));
    expect(claims.auth_time as number).toBeGreaterThan(Math.floor(twoMinutesAgo.getTime() / 1000) + 60);
  });

  test("a trusted client (skip_consent) gets no consent screen", async ({
    page,
    baseURL,
    otherSite,
    loginPage,
    user,
  }) => {
    const client = await registerClient(baseURL!, otherSite, { skipConsent: true });
    const shown = recordNavigations(page);
    await page.goto(authorizeUrl(client));
    await loginPage.expectShown();
    await expect(page.getByText("to continue to Trusted First Party")).toBeVisible();
    await loginPage.signIn(user.email, user.password);
    const back = await callback(page);
    expect(shown).not.toContain("/consent");
    expect(shown.at(-1)).toBe("/callback");
    expect(shown).toContain("/login");
    const claims = await exchange(baseURL!, client, back.get("code")!);
    expect(claims.sub).toBe(user.id);
    expect(claims.name).toBe(user.name);
  });
});
