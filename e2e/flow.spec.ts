import { expect, signInThroughDemo, test } from "./fixtures.ts";

test.describe("the demo relying party's sign-in through Portico", () => {
  test("happy path: sign in, consent, and the app shows the ID token and the introspected access token", async ({
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.expectShown();
    await expect(loginPage.page.getByText("to continue to Portico Demo App")).toBeVisible();
    await loginPage.signIn(user.email, user.password);

    await consentPage.expectShown();
    await expect(consentPage.heading).toContainText("Portico Demo App");
    await expect(consentPage.page.getByRole("img", { name: "Portico Demo App logo" })).toBeVisible();
    await expect(consentPage.page.getByRole("link", { name: "privacy policy" })).toHaveAttribute(
      "href",
      /\/demo\/privacy$/,
    );
    await expect(consentPage.page.getByRole("link", { name: "terms of service" })).toHaveAttribute(
      "href",
      /\/demo\/terms$/,
    );
    for (const scope of ["openid", "offline", "profile", "email"]) {
      await expect(consentPage.scope(scope)).toBeChecked();
    }
    await expect(consentPage.scope("email")).toHaveAccessibleName("Your email address email");
    await expect(consentPage.scope("email")).toHaveAccessibleDescription("See your email address.");
    // Named by what it shows first, so that "click Stay connected" finds it (WCAG 2.5.3).
    await expect(consentPage.page.getByRole("checkbox", { name: "Stay connected offline" })).toBeChecked();
    await consentPage.allow();

    await demo.expectSignedIn(user.email);
    await expect(demo.claim(demo.idTokenClaims, "sub")).toHaveText(user.id);
    await expect(demo.claim(demo.idTokenClaims, "name")).toHaveText(user.name);
    await expect(demo.claim(demo.idTokenClaims, "iss")).toHaveText(new URL(demo.page.url()).origin);
    await expect(demo.claim(demo.idTokenClaims, "aud")).toContainText("portico-demo");
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");
    await expect(demo.claim(demo.introspection, "sub")).toHaveText(user.id);
    await expect(demo.claim(demo.introspection, "client_id")).toHaveText("portico-demo");
    await expect(demo.claim(demo.introspection, "scope")).toHaveText("openid offline profile email");
    // next-auth read the profile from /userinfo, as relying parties do by default.
    await expect(demo.claim(demo.userinfo, "sub")).toHaveText(user.id);
    await expect(demo.claim(demo.userinfo, "email")).toHaveText(user.email);
    await expect(demo.claim(demo.userinfo, "name")).toHaveText(user.name);
    await expect(demo.claim(demo.userinfo, "preferred_username")).toHaveText(user.email);
    await expect(demo.claim(demo.userinfo, "updated_at")).not.toBeEmpty();
    await expect(demo.claim(demo.idTokenClaims, "preferred_username")).toHaveText(user.email);
    await expect(demo.claim(demo.idTokenClaims, "updated_at")).not.toBeEmpty();
    await expect(demo.claim(demo.idTokenClaims, "amr")).toContainText("pwd");
    await expect(demo.claim(demo.idTokenClaims, "sid")).not.toBeEmpty();
  });

  test("Deny: the client is told access_denied", async ({ demo, loginPage, consentPage, user }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    await consentPage.deny();

    await expect(demo.page).toHaveURL(/\/\?error=access_denied$/);
    await expect(demo.alert).toContainText("error=access_denied");
    await expect(demo.signInButton).toBeVisible();
  });

  test("scopes left unticked are not granted", async ({ demo, loginPage, consentPage, user }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    await consentPage.allow({ untick: ["profile", "offline"] });

    await demo.expectSignedIn(user.email);
    await expect(demo.claim(demo.idTokenClaims, "name")).toHaveCount(0);
    await expect(demo.claim(demo.idTokenClaims, "updated_at")).toHaveCount(0);
    await expect(demo.claim(demo.idTokenClaims, "preferred_username")).toHaveCount(0);
    await expect(demo.claim(demo.introspection, "scope")).toHaveText("openid email");
  });

  test.describe("with JavaScript disabled", () => {
    test.use({ javaScriptEnabled: false });

    test("happy path: every page works as plain form posts", async ({
      demo,
      loginPage,
      consentPage,
      user,
    }) => {
      await signInThroughDemo({ demo, loginPage, consentPage }, user);
      await expect(demo.claim(demo.introspection, "active")).toHaveText("true");
    });

    test("a wrong password is answered with the alert, without JavaScript too", async ({
      loginPage,
      user,
    }) => {
      await loginPage.goto();
      expect(await loginPage.signInExpectingError(user.email, "not the password")).toContain(
        "The email or password is incorrect.",
      );
      await expect(loginPage.email).toHaveValue(user.email);
      await expect(loginPage.password).toHaveValue("");
    });
  });
});
