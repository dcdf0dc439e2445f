import type { Browser, BrowserContext } from "@playwright/test";
import { expect, recordNavigations, signInThroughDemo, test } from "./fixtures.ts";
import { ConsentPage } from "./pages/consent.ts";
import { DemoApp } from "./pages/demo.ts";
import { LoginPage } from "./pages/login.ts";

/** A browser restart: the same profile, without the cookies that lived only for the browser session. */
async function restart(
  browser: Browser,
  context: BrowserContext,
  options: { baseURL: string | undefined; clientAddress: string },
): Promise<BrowserContext> {
  const state = await context.storageState();
  const persistent = state.cookies.filter((cookie) => cookie.expires > 0);
  await context.close();
  return browser.newContext({
    storageState: { ...state, cookies: persistent },
    baseURL: options.baseURL,
    extraHTTPHeaders: { "x-forwarded-for": options.clientAddress },
  });
}

test.describe("remembered sign-ins and decisions", () => {
  test("Remember me + Remember my decision: after a browser restart, signing in shows neither page", async ({
    browser,
    context,
    demo,
    loginPage,
    consentPage,
    user,
    baseURL,
    clientAddress,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user, {
      rememberMe: true,
      rememberDecision: true,
    });
    const session = (await context.cookies()).find((cookie) => cookie.name === "portico-session");
    expect(session?.expires, "the Portico session cookie lasts 30 days").toBeGreaterThan(
      Date.now() / 1000 + 29 * 24 * 3600,
    );
    await demo.forgetSession();

    const restarted = await restart(browser, context, { baseURL, clientAddress });
    const page = await restarted.newPage();
    const seen = recordNavigations(page);
    const again = new DemoApp(page);
    await again.startSignIn();
    await again.expectSignedIn(user.email);
    expect(seen.filter((path) => path === "/login" || path === "/consent")).toEqual([]);
    await restarted.close();
  });

  test("without Remember me the sign-in ends with the browser session", async ({
    browser,
    context,
    demo,
    loginPage,
    consentPage,
    user,
    baseURL,
    clientAddress,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user, { rememberDecision: true });
    const session = (await context.cookies()).find((cookie) => cookie.name === "portico-session");
    expect(session?.expires, "a browser-session cookie").toBe(-1);
    await demo.forgetSession();

    const restarted = await restart(browser, context, { baseURL, clientAddress });
    const page = await restarted.newPage();
    await new DemoApp(page).startSignIn();
    await new LoginPage(page).expectShown();
    await restarted.close();
  });

  test("a remembered decision covers only the scopes granted then", async ({
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    await consentPage.allow({ remember: true, untick: ["email"] });
    await expect(demo.idTokenClaims).toBeVisible();
    await demo.forgetSession();

    // The demo asks for email again, which was not granted: the screen comes back.
    await demo.startSignIn();
    await consentPage.expectShown();
  });

  test("revoking an app on /account brings the consent screen back", async ({
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user, { rememberDecision: true });
    await demo.forgetSession();
    await demo.startSignIn();
    await demo.expectSignedIn(user.email);
    await demo.forgetSession();

    await accountPage.goto();
    await expect(accountPage.app("Portico Demo App")).toHaveCount(1);
    await accountPage.revoke("Portico Demo App");
    await expect(accountPage.page.getByText("No app has access to your account.")).toBeVisible();

    await demo.startSignIn();
    await new ConsentPage(demo.page).expectShown();
  });

  test.describe("with JavaScript disabled", () => {
    test.use({ javaScriptEnabled: false });

    test("revoking works as a plain form post", async ({
      demo,
      loginPage,
      consentPage,
      accountPage,
      user,
    }) => {
      await signInThroughDemo({ demo, loginPage, consentPage }, user, { rememberDecision: true });
      await accountPage.goto();
      await accountPage.revoke("Portico Demo App");
      // The decision is gone on the server, not only from the page that answered the post.
      await accountPage.goto();
      await expect(accountPage.page.getByText("No app has access to your account.")).toBeVisible();
      await expect(accountPage.app("Portico Demo App")).toHaveCount(0);
    });
  });
});
