import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { createDatabase, type Database } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { test as base, expect, recordNavigations } from "./fixtures.ts";
import { AccountSettings } from "./pages/accounts.ts";
import { expectAnsweredAlready, expectAnsweredMeanwhile } from "./pages/answered.ts";
import { DemoApp } from "./pages/demo.ts";
import { LoginPage } from "./pages/login.ts";
import { SignOutPages } from "./pages/sign-out.ts";

/**
 * The login & consent app in Hydra 2.x mode: a second Portico (started by
 * the global setup) whose flow sends browsers to /login?login_challenge=,
 * /consent?consent_challenge= and /logout?logout_challenge=, and whose app
 * answers them through the admin listener (HYDRA_ADMIN_URL). The demo
 * relying party signs in through it like any client.
 */
const test = base.extend<object, { db: Database }>({
  db: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const url = process.env.PORTICO_E2E_V2_DATABASE_URL;
      if (!url) throw new Error("PORTICO_E2E_V2_DATABASE_URL is not set: run through playwright.config.ts");
      const db = createDatabase(url);
      await use(db);
      await db.$disconnect();
    },
    { scope: "worker" },
  ],
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  baseURL: async ({}, use) => {
    await use(process.env.PORTICO_E2E_V2_URL);
  },
});

const LOGIN = /\/login\?login_challenge=/;

/** What closing and reopening the browser does to its cookies: those without an expiry (session cookies) go. */
async function closeTheBrowser(page: Page): Promise<void> {
  const context = page.context();
  const kept = (await context.cookies()).filter((cookie) => cookie.expires !== -1);
  await context.clearCookies();
  await context.addCookies(kept);
}
const CONSENT = /\/consent\/ask\?consent_challenge=/;

test.describe("Hydra 2.x mode", () => {
  test("sign in and consent: the demo gets the person's claims by scope", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await expect(page).toHaveURL(LOGIN);
    await expect(page.getByText("to continue to Portico Demo App", { exact: false })).toBeVisible();
    await loginPage.signIn(user.email, user.password);

    await expect(page).toHaveURL(CONSENT);
    await expect(page.getByText(user.email)).toBeVisible();
    await expect(page.getByRole("button", { name: "Not you?" })).toHaveCount(0);
    await consentPage.allow();

    await demo.expectSignedIn(user.email);
    await expect(demo.claim(demo.idTokenClaims, "sub")).toHaveText(user.id);
    await expect(demo.claim(demo.idTokenClaims, "name")).toHaveText(user.name);
    await expect(demo.claim(demo.idTokenClaims, "amr")).toContainText("pwd");

    // Hydra keeps the login; the app's own pages did not sign anyone in.
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login/);
  });

  test("consent grants the requested access-token audience (grant_access_token_audience)", async ({
    page,
    loginPage,
    consentPage,
    otherSite,
    user,
  }) => {
    const admin = process.env.PORTICO_E2E_V2_ADMIN_URL;
    const id = `aud-${randomBytes(4).toString("hex")}`;
    const secret = randomBytes(18).toString("base64url");
    const registered = await fetch(`${admin}/admin/clients`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_id: id,
        client_secret: secret,
        client_name: "Audience App",
        redirect_uris: [otherSite.url],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid",
        audience: ["https://api.example/orders"],
      }),
    });
    expect(registered.status).toBe(201);
    otherSite.serve("<p>back at the app</p>");

    const query = new URLSearchParams({
      response_type: "code",
      client_id: id,
      redirect_uri: otherSite.url,
      scope: "openid",
      state: "audience-state-0123",
      audience: "https://api.example/orders",
    });
    await page.goto(`/oauth2/auth?${query}`);
    await loginPage.signIn(user.email, user.password);
    await expect(page).toHaveURL(CONSENT);
    await consentPage.allow();
    await expect(page.getByText("back at the app")).toBeVisible();

    const code = new URL(page.url()).searchParams.get("code") ?? "";
    const token = await fetch(`${process.env.PORTICO_E2E_V2_URL}/oauth2/token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: otherSite.url }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const introspected = await fetch(`${admin}/admin/oauth2/introspect`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: access_token }),
    });
    const body = (await introspected.json()) as { active: boolean; aud?: string[] };
    expect(body.active).toBe(true);
    expect(body.aud).toContain("https://api.example/orders");
  });

  test("a wrong password is refused on the page, as on every sign-in", async ({
    page,
    demo,
    loginPage,
    user,
  }) => {
    await demo.startSignIn();
    await expect(page).toHaveURL(LOGIN);
    const message = await loginPage.signInExpectingError(user.email, "not-the-password");
    expect(message).toContain("The email or password is incorrect.");
    await expect(page).toHaveURL(LOGIN);
  });

  test("Remember me: the second authorization needs no sign-in screen, after the browser closes too", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await consentPage.allow();
    await demo.expectSignedIn(user.email);

    await demo.forgetSession();
    await closeTheBrowser(page);
    await demo.goto();
    const seen = recordNavigations(page);
    await demo.signInButton.click();
    await expect(page).toHaveURL(CONSENT);
    expect(seen).not.toContain("/login");
    await consentPage.allow();
    await demo.expectSignedIn(user.email);
  });

  test("a remembered login of an account deleted since is refused (login_required), then forgotten", async ({
    page,
    db,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await consentPage.allow({ remember: true });
    await demo.expectSignedIn(user.email);

    await new UserStore(db).deleteById(user.id);
    await demo.forgetSession();
    await demo.signInButton.click();
    await expect(page).toHaveURL(/\/\?error=login_required$/);

    await demo.signInButton.click();
    await expect(page).toHaveURL(LOGIN);
    await expect(loginPage.signInButton).toBeVisible();
  });

  test("deleting the account ends Hydra's remembered login and consent, and the tokens", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await consentPage.allow({ remember: true });
    await demo.expectSignedIn(user.email);
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");

    // The account page has its own sign-in (Hydra's login is not this app's session).
    await loginPage.signInToAccount(user.email, user.password);
    await new AccountSettings(page).deleteAccount(user.email);
    await expect(page.getByText("Your account was deleted.")).toBeVisible();

    await demo.goto();
    await expect(demo.claim(demo.introspection, "active")).toHaveText("false");
    await demo.forgetSession();
    await demo.signInButton.click();
    await expect(page).toHaveURL(LOGIN);
    await expect(loginPage.signInButton).toBeVisible();
  });

  test("/account lists the apps Hydra's consent sessions hold; Revoke ends one, and Sign out everywhere Hydra's logins", async ({
    page,
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await consentPage.allow({ remember: true });
    await demo.expectSignedIn(user.email);
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");

    await loginPage.signInToAccount(user.email, user.password);
    const row = accountPage.app("Portico Demo App");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Your email address");
    await accountPage.revoke("Portico Demo App");

    await demo.goto();
    await expect(demo.claim(demo.introspection, "active")).toHaveText("false");
    // The remembered consent went with it: the next authorization asks again (the login is still remembered).
    await demo.forgetSession();
    await demo.signInButton.click();
    await expect(page).toHaveURL(CONSENT);

    await accountPage.goto();
    await accountPage.signOutEverywhere();
    await demo.goto();
    await demo.signInButton.click();
    await expect(page).toHaveURL(LOGIN);
    await expect(loginPage.signInButton).toBeVisible();
  });

  test("without Remember me, the sign-in lasts the browser session: no sign-in screen until the browser closes", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await consentPage.allow();
    await demo.expectSignedIn(user.email);

    // Hydra's remember_for 0: a session cookie, as this app's own sign-in without Remember me.
    await demo.forgetSession();
    const seen = recordNavigations(page);
    await demo.signInButton.click();
    await expect(page).toHaveURL(CONSENT);
    expect(seen).not.toContain("/login");
    await consentPage.allow();
    await demo.expectSignedIn(user.email);

    await demo.forgetSession();
    await closeTheBrowser(page);
    await demo.goto();
    await demo.signInButton.click();
    await expect(page).toHaveURL(LOGIN);
    await expect(loginPage.signInButton).toBeVisible();
  });

  test("Remember my decision: the next authorization shows no screen at all", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await consentPage.allow({ remember: true });
    await demo.expectSignedIn(user.email);

    await demo.forgetSession();
    const seen = recordNavigations(page);
    await demo.signInButton.click();
    await demo.expectSignedIn(user.email);
    expect(seen.filter((path) => path === "/login" || path === "/consent")).toEqual([]);
  });

  test("Deny: the client is told access_denied", async ({ page, demo, loginPage, consentPage, user }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await expect(page).toHaveURL(CONSENT);
    await consentPage.deny();

    await expect(page).toHaveURL(/\/\?error=access_denied$/);
    await expect(demo.alert).toContainText("error=access_denied");
  });

  test("Back after consent: the consent and sign-in pages say they were answered and offer the way back to the app", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
    baseURL,
  }) => {
    await demo.startSignIn();
    await expect(page).toHaveURL(LOGIN);
    await loginPage.signIn(user.email, user.password);
    await expect(page).toHaveURL(CONSENT);
    await consentPage.allow();
    await demo.expectSignedIn(user.email);

    // Back from the app: the consent screen's challenge is used (Hydra's 410); then the sign-in's.
    for (const step of [CONSENT, LOGIN]) {
      await page.goBack();
      await expect(page).toHaveURL(step);
      // The demo app registered its own address (client_uri) and name: the way back to it.
      await expectAnsweredAlready(page, demo.link(baseURL!));
    }
    await page.getByRole("link", { name: "Back to Portico Demo App" }).click();
    await demo.expectSignedIn(user.email);
  });

  test("answered in another tab meanwhile: the refusal on the open consent screen offers the way back to the app", async ({
    page,
    context,
    demo,
    loginPage,
    consentPage,
    user,
    baseURL,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await expect(page).toHaveURL(CONSENT);

    const otherTab = await context.newPage();
    await otherTab.goto(page.url());
    await otherTab.getByRole("button", { name: "Allow access" }).click();
    await new DemoApp(otherTab).expectSignedIn(user.email);

    await consentPage.deny();
    const back = await expectAnsweredMeanwhile(consentPage.alert, demo.link(baseURL!));
    await back.click();
    await demo.expectSignedIn(user.email);
  });

  test("signed in meanwhile in another tab: the sign-in form's refusal offers the way back to the app", async ({
    page,
    context,
    demo,
    loginPage,
    user,
    baseURL,
  }) => {
    await demo.startSignIn();
    await expect(page).toHaveURL(LOGIN);

    // The same sign-in page in another tab answers the login request first.
    const otherTab = await context.newPage();
    await otherTab.goto(page.url());
    await new LoginPage(otherTab).signIn(user.email, user.password);
    await expect(otherTab).toHaveURL(CONSENT);

    await loginPage.signIn(user.email, user.password);
    const back = await expectAnsweredMeanwhile(loginPage.alert, demo.link(baseURL!));
    await back.click();
    await expect(demo.signInButton).toBeVisible();
  });

  test("signed in meanwhile in another tab, for an app without client_uri: the refusal links nowhere", async ({
    page,
    context,
    loginPage,
    otherSite,
    user,
  }) => {
    const id = `no-home-${randomBytes(4).toString("hex")}`;
    const registered = await fetch(`${process.env.PORTICO_E2E_V2_ADMIN_URL}/admin/clients`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_id: id,
        client_secret: randomBytes(18).toString("base64url"),
        client_name: "No-home App",
        redirect_uris: [otherSite.url],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid",
      }),
    });
    expect(registered.status).toBe(201);
    const query = new URLSearchParams({
      response_type: "code",
      client_id: id,
      redirect_uri: otherSite.url,
      scope: "openid",
      state: "no-home-state-0123",
    });
    await page.goto(`/oauth2/auth?${query}`);
    await expect(page).toHaveURL(LOGIN);
    const otherTab = await context.newPage();
    await otherTab.goto(page.url());
    await new LoginPage(otherTab).signIn(user.email, user.password);
    await expect(otherTab).toHaveURL(CONSENT);

    await loginPage.signIn(user.email, user.password);
    await expect(loginPage.alert).toContainText("This sign-in request was already answered");
    await expect(loginPage.alert.getByRole("link")).toHaveCount(0);
  });

  test("Cancel on the sign-in page: the client is told access_denied", async ({ page, demo }) => {
    await demo.startSignIn();
    await expect(page).toHaveURL(LOGIN);
    await page.getByRole("button", { name: "Cancel" }).click();

    await expect(page).toHaveURL(/\/\?error=access_denied$/);
    await expect(demo.alert).toContainText("error=access_denied");
  });

  test("sign-out: the demo's logout asks with a logout_challenge; Sign out ends Hydra's remembered login", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await consentPage.allow();
    await demo.expectSignedIn(user.email);

    await demo.signOutButton.click();
    await expect(page).toHaveURL(/\/logout\/confirm\?logout_challenge=/);
    await expect(page.getByRole("heading", { name: "Sign out of Portico?" })).toBeVisible();
    await expect(page.getByText("Portico Demo App asks you to sign out.")).toBeVisible();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(demo.signInButton).toBeVisible();

    // The remembered login is gone: the next authorization shows the sign-in form again.
    await demo.signInButton.click();
    await expect(page).toHaveURL(LOGIN);
    await expect(loginPage.signInButton).toBeVisible();
  });

  test("sign-out: Stay signed in keeps Hydra's remembered login", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await consentPage.allow({ remember: true });
    await demo.expectSignedIn(user.email);

    await demo.signOutButton.click();
    await expect(page).toHaveURL(/\/logout\/confirm\?logout_challenge=/);
    await page.getByRole("button", { name: "Stay signed in" }).click();
    await expect(page).toHaveURL(/\/account$|\/login/);

    await demo.forgetSession();
    await demo.signInButton.click();
    await demo.expectSignedIn(user.email);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("sign in and consent work as plain forms", async ({ page, demo, loginPage, consentPage, user }) => {
      await demo.startSignIn();
      await expect(page).toHaveURL(LOGIN);
      await loginPage.signIn(user.email, user.password);
      await expect(page).toHaveURL(CONSENT);
      await consentPage.allow();
      await demo.expectSignedIn(user.email);
    });

    test("the sign-out confirmation works as a plain form post", async ({
      page,
      demo,
      loginPage,
      consentPage,
      user,
    }) => {
      await demo.startSignIn();
      await loginPage.signIn(user.email, user.password, { rememberMe: true });
      await consentPage.allow();
      await demo.expectSignedIn(user.email);

      const signOut = new SignOutPages(page);
      await signOut.startAtEndSession({ client_id: "portico-demo" });
      await expect(page).toHaveURL(/\/logout\/confirm\?logout_challenge=/);
      await expect(signOut.confirmHeading).toBeVisible();
      await signOut.confirm();
      await signOut.expectSignedOut();
    });
  });
});
