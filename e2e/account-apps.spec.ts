import { expect, signInThroughDemo, test } from "./fixtures.ts";
import { AccountPage } from "./pages/account.ts";
import { AccountSettings } from "./pages/accounts.ts";
import { LoginPage } from "./pages/login.ts";

test.describe("/account: every app let in, Revoke that revokes, Sign out everywhere", () => {
  test("an app let in without Remember my decision is listed; Revoke makes its token inactive at once", async ({
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");

    await accountPage.goto();
    const row = accountPage.app("Portico Demo App");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Your email address");
    await expect(row).not.toContainText("Remembered");
    await accountPage.revoke("Portico Demo App");

    // The demo introspects its access token on every load: the server now says it is not active.
    await demo.goto();
    await expect(demo.claim(demo.introspection, "active")).toHaveText("false");
  });

  test("after 10 minutes, Revoke needs the password again, like every other change to the account", async ({
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
    db,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    // Fast-forward: this sign-in happened eleven minutes ago.
    await db.session.updateMany({
      where: { userId: user.id },
      data: { authTime: new Date(Date.now() - 11 * 60_000) },
    });
    await accountPage.goto();
    await accountPage.page.getByRole("button", { name: "Revoke Portico Demo App" }).click();
    await expect(
      accountPage.page.getByText(/enter your password again before changing your account/),
    ).toBeVisible();
    await accountPage.goto();
    await expect(accountPage.app("Portico Demo App")).toHaveCount(1);
    await demo.goto();
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");

    await accountPage.goto();
    await new AccountSettings(accountPage.page).confirmPassword(user.password);
    await expect(
      accountPage.page.getByText("You can change your account for the next 10 minutes."),
    ).toBeVisible();
    await accountPage.revoke("Portico Demo App");
    await demo.goto();
    await expect(demo.claim(demo.introspection, "active")).toHaveText("false");
  });

  test("Sign out everywhere ends the sessions of every browser, remembered ones included", async ({
    browser,
    baseURL,
    user,
  }) => {
    const first = await browser.newContext({ baseURL });
    const second = await browser.newContext({ baseURL });
    try {
      for (const context of [first, second]) {
        const page = await context.newPage();
        const login = new LoginPage(page);
        await login.goto();
        await login.signIn(user.email, user.password, { rememberMe: true });
        // Signing in without a request to return to lands on the account page.
        await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
      }
      const [here] = first.pages();
      const [there] = second.pages();
      if (!here || !there) throw new Error("both browsers have a page");
      await new AccountPage(here).signOutEverywhere();
      await new LoginPage(here).expectShown();
      await expect(here.getByText("You have signed out.")).toBeVisible();

      await there.goto("/account");
      await new LoginPage(there).expectShown();
      await here.goto("/account");
      await new LoginPage(here).expectShown();
    } finally {
      await first.close();
      await second.close();
    }
  });
});
