import { expect, recordNavigations, signInThroughDemo, test } from "./fixtures.ts";
import { SignOutPages } from "./pages/sign-out.ts";

test.describe("sign-out a relying party starts (RP-Initiated Logout)", () => {
  test("without an ID token hint Portico asks first; Sign out ends the session and says so", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    const signOut = new SignOutPages(page);
    await signOut.startAtEndSession({ client_id: "portico-demo" });
    await signOut.expectConfirmation();
    await expect(page.getByText("Portico Demo App asks you to sign out.")).toBeVisible();
    await expect(page.getByText(user.email)).toBeVisible();
    const confirmUrl = page.url();
    await signOut.confirm();
    await signOut.expectSignedOut();

    await page.goto("/account");
    await loginPage.expectShown();

    // The confirmation cannot be used twice.
    await page.goto(confirmUrl);
    await expect(signOut.alert).toContainText("already used or has expired");
    await expect(signOut.signOutButton).toHaveCount(0);
  });

  test("Stay signed in keeps the session", async ({
    page,
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    const signOut = new SignOutPages(page);
    await signOut.startAtEndSession({});
    await signOut.expectConfirmation();
    await signOut.stayButton.click();
    await accountPage.goto();
  });

  test("a post_logout_redirect_uri the client did not register is an error page, and nobody is signed out", async ({
    page,
    demo,
    loginPage,
    consentPage,
    accountPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    const response = await page.goto(
      `/oauth2/sessions/logout?${new URLSearchParams({ client_id: "portico-demo", post_logout_redirect_uri: "https://evil.example/" })}`,
    );
    expect(response?.status()).toBe(400);
    await expect(
      page.getByRole("heading", { name: "The sign-out request could not be completed" }),
    ).toBeVisible();
    expect(new URL(page.url()).pathname).toBe("/oauth2/sessions/logout");
    await accountPage.goto();
  });

  test("signing out of the demo signs out of Portico too, without a confirmation (its ID token names the person)", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    const seen = recordNavigations(page);
    await demo.signOut();
    await expect(page).toHaveURL(/\/$/);
    expect(seen).not.toContain("/logout/confirm");
    await page.goto("/account");
    await loginPage.expectShown();
  });

  test.describe("with JavaScript disabled", () => {
    test.use({ javaScriptEnabled: false });

    test("the confirmation works as a plain form post", async ({
      page,
      demo,
      loginPage,
      consentPage,
      user,
    }) => {
      await signInThroughDemo({ demo, loginPage, consentPage }, user);
      const signOut = new SignOutPages(page);
      await signOut.startAtEndSession({ client_id: "portico-demo" });
      await signOut.expectConfirmation();
      await signOut.confirm();
      await signOut.expectSignedOut();
    });
  });
});

test.describe("prompt=select_account", () => {
  test("offers Continue as the signed-in person, or Use another account", async ({
    page,
    baseURL,
    demo,
    loginPage,
    consentPage,
    user,
    otherUser,
  }) => {
    // At once after signing in: the chooser must not depend on the sign-in being seconds older.
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    const authorize = `/oauth2/auth?${new URLSearchParams({
      response_type: "code",
      client_id: "portico-demo",
      redirect_uri: `${baseURL}/api/auth/callback/portico`,
      scope: "openid profile",
      state: "select-account-state",
      prompt: "select_account",
    })}`;

    await page.goto(authorize);
    await expect(page.getByRole("heading", { name: "Choose an account" })).toBeVisible();
    await loginPage.continueAs(user.email).click();
    await consentPage.expectShown();
    await expect(page.getByText(user.email)).toBeVisible();

    await page.goto(authorize);
    await loginPage.useAnotherAccount.click();
    await loginPage.expectShown();
    await loginPage.signIn(otherUser.email, otherUser.password);
    await consentPage.expectShown();
    await expect(page.getByText(otherUser.email)).toBeVisible();
  });
});
