import { expect, signInThroughDemo, test } from "./fixtures.ts";
import { ConsentPage } from "./pages/consent.ts";
import { LoginPage } from "./pages/login.ts";

test.describe("server-side sessions", () => {
  test("a copy of the session cookie stops working when its session signs out", async ({
    browser,
    loginPage,
    accountPage,
    user,
    db,
    clientAddress,
    baseURL,
  }) => {
    await loginPage.goto();
    await loginPage.signIn(user.email, user.password, { rememberMe: true });
    await expect(accountPage.page).toHaveURL(/\/account$/);
    const stolen = await accountPage.page.context().cookies();
    const sessionRows = await db.session.findMany({ where: { userId: user.id } });
    expect(sessionRows).toHaveLength(1);
    expect(sessionRows[0]).toMatchObject({ persistent: true, ipAddress: clientAddress });
    expect(sessionRows[0]!.userAgent).not.toBe("");

    // Another browser with the copied cookie is signed in as long as the session lives…
    const thief = await browser.newContext({
      baseURL,
      extraHTTPHeaders: { "x-forwarded-for": "198.19.0.1" },
    });
    await thief.addCookies(stolen);
    const thiefPage = await thief.newPage();
    await thiefPage.goto("/account");
    await expect(thiefPage.getByText(user.email)).toBeVisible();

    // …and not a moment after the person signs out.
    await accountPage.signOutButton.click();
    await expect(loginPage.page.getByText("You have signed out.")).toBeVisible();
    expect(await db.session.count({ where: { userId: user.id } })).toBe(0);
    await thiefPage.goto("/account");
    await expect(thiefPage).toHaveURL(/\/login\?next=%2Faccount|\/login\?next=\/account/);
    await expect(thiefPage.getByText(user.email)).toHaveCount(0);
    await thief.close();
  });

  test("ending a session on the server signs that browser out on its next request", async ({
    loginPage,
    accountPage,
    user,
    db,
  }) => {
    await loginPage.goto();
    await loginPage.signIn(user.email, user.password);
    await expect(accountPage.page).toHaveURL(/\/account$/);
    await db.session.deleteMany({ where: { userId: user.id } });
    await accountPage.page.goto("/account");
    await loginPage.expectShown();
  });

  test("Sign out in a second tab after signing out in the first: the refusal is said, and trying again signs out", async ({
    context,
    loginPage,
    accountPage,
    user,
  }) => {
    await loginPage.goto();
    await loginPage.signIn(user.email, user.password);
    await expect(accountPage.page).toHaveURL(/\/account$/);
    const otherTab = await context.newPage();
    await otherTab.goto("/account");
    await expect(otherTab.getByRole("heading", { name: "Your account" })).toBeVisible();

    await accountPage.signOutButton.click();
    await expect(loginPage.page.getByText("You have signed out.")).toBeVisible();

    // The other tab's form carries the ended session's CSRF token: it used to be refused without a
    // word, and every later click too (the form kept that token), so Sign out did nothing at all.
    const signOut = otherTab.getByRole("button", { name: "Sign out", exact: true });
    await signOut.click();
    await expect(otherTab.getByRole("alert")).toHaveText(/your session changed\. Please try again\./);
    await expect(otherTab.getByRole("alert")).toBeFocused();
    await signOut.click();
    await expect(otherTab.getByText("You have signed out.")).toBeVisible();
  });
});

test.describe("signing out in one tab, then in another", () => {
  test("the consent screen's Not you? says why it was refused, and works the second time", async ({
    context,
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    const otherTab = await context.newPage();
    await otherTab.goto("/account");
    await otherTab.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(otherTab.getByText("You have signed out.")).toBeVisible();

    const notYou = consentPage.page.getByRole("button", { name: "Not you?" });
    await notYou.click();
    await expect(consentPage.alert).toHaveText(/your session changed\. Please try again\./);
    await expect(consentPage.alert).toBeFocused();
    await notYou.click();
    await new LoginPage(accountPage.page).expectShown();
    await expect(accountPage.page).toHaveURL(/consent=/);
  });

  test("Use another account says why it was refused, and works the second time", async ({
    context,
    page,
    baseURL,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    await page.goto(
      `/oauth2/auth?${new URLSearchParams({
        response_type: "code",
        client_id: "portico-demo",
        redirect_uri: `${baseURL}/api/auth/callback/portico`,
        scope: "openid profile",
        state: "two-tabs-state",
        prompt: "select_account",
      })}`,
    );
    await expect(page.getByRole("heading", { name: "Choose an account" })).toBeVisible();
    const otherTab = await context.newPage();
    await otherTab.goto("/account");
    await otherTab.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(otherTab.getByText("You have signed out.")).toBeVisible();

    await loginPage.useAnotherAccount.click();
    await expect(loginPage.alert).toHaveText(/your session changed\. Please try again\./);
    await loginPage.useAnotherAccount.click();
    await loginPage.expectShown();
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await expect(new ConsentPage(page).allowButton).toHaveCount(0);
  });
});

test.describe("revoking an app", () => {
  test("ends the app's access at once: its access token is inactive, its refresh tokens revoked", async ({
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
    db,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user, { rememberDecision: true });
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");
    const live = { subject: user.id, revokedAt: null };
    expect(await db.accessToken.count({ where: live })).toBeGreaterThan(0);

    const demoPage = demo.page;
    await accountPage.goto();
    await accountPage.revoke("Portico Demo App");

    // The demo app still holds its tokens; the server no longer honours them.
    await demoPage.goto("/");
    await expect(demo.claim(demo.introspection, "active")).toHaveText("false");
    expect(await db.accessToken.count({ where: live })).toBe(0);
    expect(await db.refreshToken.count({ where: live })).toBe(0);
  });
});
