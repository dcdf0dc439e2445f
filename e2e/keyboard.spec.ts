import { expect, test } from "./fixtures.ts";

/**
 * The forms with the keyboard alone. A refused form disables its submit button while it is sent,
 * which drops the focus to the top of the page; the refusal must take it back: to the first field
 * it marks invalid, else to the message, so that the next Tab is in the form again.
 */
test.describe("keyboard only", () => {
  test("a refused sign-in puts the focus on its message, and Tab goes on to the email field", async ({
    loginPage,
    user,
  }) => {
    const { page } = loginPage;
    await loginPage.goto();
    await loginPage.email.focus();
    await page.keyboard.type(user.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type("not-the-password");
    await page.keyboard.press("Tab"); // Remember me
    await page.keyboard.press("Tab"); // Sign in
    await expect(loginPage.signInButton).toBeFocused();
    await page.keyboard.press("Enter");

    await expect(loginPage.alert).toHaveText("The email or password is incorrect.");
    await expect(loginPage.alert).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(loginPage.email).toBeFocused();
    await expect(loginPage.email).toHaveValue(user.email);

    // A second refusal takes the focus again, from wherever in the form it was.
    await page.keyboard.press("Tab");
    await page.keyboard.type("still-not-the-password");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect(loginPage.alert).toBeFocused();
  });

  test("a sign-up refused for its password puts the focus on the password field, which says why", async ({
    page,
    inbox,
  }) => {
    await page.goto("/signup");
    const password = page.getByLabel("Password", { exact: true });
    await page.getByLabel("Name", { exact: true }).focus();
    await page.keyboard.type("Kim Keys");
    await page.keyboard.press("Tab");
    await page.keyboard.type(inbox.address("keys"));
    await page.keyboard.press("Tab");
    await page.keyboard.type("password1234");
    await page.getByRole("button", { name: "Create account" }).focus();
    await page.keyboard.press("Enter");

    await expect(page.getByRole("alert")).toHaveText("Please choose a stronger password.");
    await expect(password).toBeFocused();
    await expect(password).toHaveAttribute("aria-invalid", "true");
    await expect(password).toHaveAccessibleDescription(/.+/);
  });

  test("sign-in and consent from a client, with the keyboard alone", async ({ demo, user, page }) => {
    await demo.startSignIn();
    await page.getByLabel("Email", { exact: true }).focus();
    await page.keyboard.type(user.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type(user.password);
    await page.keyboard.press("Enter");

    const allow = page.getByRole("button", { name: "Allow access" });
    await expect(allow).toBeVisible();
    // Everything on the consent screen is reached with Tab, in reading order, up to Allow access.
    const reached: string[] = [];
    for (let i = 0; i < 30 && !(await allow.evaluate((button) => button === document.activeElement)); i++) {
      await page.keyboard.press("Tab");
      reached.push(await page.evaluate(() => document.activeElement?.getAttribute("name") ?? ""));
    }
    await expect(allow).toBeFocused();
    expect(reached).toContain("scope");
    expect(reached).toContain("remember");
    await page.keyboard.press("Enter");
    await demo.expectSignedIn(user.email);
  });
});
