import type { Browser, Page } from "@playwright/test";
import { UserStore } from "@/lib/users/store.ts";
import { linkIn } from "@/tests/support/mailbox.ts";
import {
  authorizePath,
  expect,
  registerAppClient,
  signInThroughDemo,
  type TestUser,
  test,
} from "./fixtures.ts";
import {
  AccountSettings,
  expectCheckInbox,
  ForgotPasswordPage,
  ResetPasswordPage,
  RestoreEmailPage,
  SignUpPage,
  VerifyEmailPage,
} from "./pages/accounts.ts";
import { LoginPage } from "./pages/login.ts";

const STRONG = "plum quartz lantern 42";

/** The same person signed in from another browser (its own context and address). */
async function signedInElsewhere(
  browser: Browser,
  baseURL: string | undefined,
  user: TestUser,
): Promise<{ page: Page; close(): Promise<void> }> {
  const context = await browser.newContext({
    baseURL,
    extraHTTPHeaders: { "x-forwarded-for": "198.19.7.7" },
  });
  const page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(user.email, user.password);
  await expect(page).toHaveURL(/\/account$/);
  return { page, close: () => context.close() };
}

test.describe("people manage their own accounts", () => {
  test("a password typed before the page's script has run still gets its strength meter", async ({
    page,
  }) => {
    // The page's scripts are held back until the password is typed, as on a slow connection.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(/\/_next\/static\/chunks\/.*\.js$/, async (route) => {
      await released;
      await route.continue();
    });
    await page.goto("/signup", { waitUntil: "domcontentloaded" });
    const signUp = new SignUpPage(page);
    await signUp.password.fill("password1");
    release();
    await expect(signUp.strength).toBeVisible();
    await expect(page.getByText("one of the most common passwords")).toBeVisible();
  });

  test("sign-up → verify → sign-in, and the apps see a verified address", async ({
    page,
    loginPage,
    consentPage,
    demo,
    inbox,
    baseURL,
  }) => {
    const email = inbox.address("new");
    await loginPage.goto();
    await page.getByRole("link", { name: "Create an account" }).click();
    const signUp = new SignUpPage(page);
    await signUp.password.fill("password1");
    await expect(signUp.strength).toBeVisible();
    await expect(page.getByText("one of the most common passwords")).toBeVisible();
    await signUp.signUp({ name: "Nora New", email, password: STRONG });
    await expectCheckInbox(page);

    const mail = await inbox.receive(email);
    expect(mail.html).toContain("Confirm my email address");
    const link = linkIn(mail, `${baseURL}/verify-email?token=`);
    await page.goto(link);
    await new VerifyEmailPage(page).confirm();

    await signInThroughDemo({ demo, loginPage, consentPage }, { id: "", email, password: STRONG, name: "" });
    await expect(demo.claim(demo.idTokenClaims, "email_verified")).toHaveText("true");

    // The link was used up: opening it again changes nothing and says so.
    await page.goto(link);
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();
  });

  test("until verified, apps are told email_verified false, and /account offers to resend", async ({
    page,
    loginPage,
    consentPage,
    demo,
    inbox,
    baseURL,
  }) => {
    const email = inbox.address("late");
    const signUp = new SignUpPage(page);
    await signUp.goto();
    await signUp.signUp({ name: "Lee Late", email, password: STRONG });
    await expectCheckInbox(page);
    await signInThroughDemo({ demo, loginPage, consentPage }, { id: "", email, password: STRONG, name: "" });
    await expect(demo.claim(demo.idTokenClaims, "email_verified")).toHaveText("false");

    await page.goto("/account");
    const settings = new AccountSettings(page);
    await expect(settings.emailStatus()).toHaveText("Your email address is not confirmed yet.");
    await page.getByRole("button", { name: "Send the confirmation email again" }).click();
    await expect(page.getByText("We sent the confirmation email again")).toBeVisible();
    const first = linkIn(await inbox.receive(email, 1), `${baseURL}/verify-email?token=`);
    const second = linkIn(await inbox.receive(email, 2), `${baseURL}/verify-email?token=`);
    await page.goto(first);
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();
    await page.goto(second);
    await new VerifyEmailPage(page).confirm();
    await page.goto("/account");
    await expect(settings.emailStatus()).toHaveText("Your email address is confirmed.");
  });

  test("signing up with a registered address gets the same answer; the inbox says there is an account", async ({
    page,
    user,
    inbox,
    db,
  }) => {
    const signUp = new SignUpPage(page);
    await signUp.goto();
    await signUp.signUp({ name: "Someone Else", email: user.email, password: STRONG });
    await expectCheckInbox(page);
    const mail = await inbox.receive(user.email);
    expect(mail.subject).toMatch(/You already have a .* account/);
    expect(await db.user.count({ where: { email: user.email } })).toBe(1);
  });

  test("forgot → reset → sign in with the new password; the link works once; other sessions end", async ({
    page,
    browser,
    loginPage,
    user,
    inbox,
    baseURL,
  }) => {
    const elsewhere = await signedInElsewhere(browser, baseURL, user);
    await loginPage.goto();
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await new ForgotPasswordPage(page).request(user.email);
    await expectCheckInbox(page);
    const link = linkIn(await inbox.receive(user.email), `${baseURL}/reset-password?token=`);

    await page.goto(link);
    const reset = new ResetPasswordPage(page);
    await reset.reset("password123");
    await expect(page.getByText(/^(Very weak|Weak): /)).toBeVisible();
    // React resets the form once the answer is in; type only after that.
    await expect(reset.password).toHaveValue("");
    await reset.reset(STRONG);
    await expect(page.getByText("Your password was changed. Sign in with your new password.")).toBeVisible();

    await loginPage.goto();
    expect(await loginPage.signInExpectingError(user.email, user.password)).toContain("incorrect");
    await loginPage.signIn(user.email, STRONG);
    await expect(page).toHaveURL(/\/account$/);

    await page.goto(link);
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();

    await elsewhere.page.goto("/account");
    await expect(elsewhere.page).toHaveURL(/\/login/);
    await elsewhere.close();
  });

  test("the session list marks this browser; ending another session signs that browser out", async ({
    page,
    browser,
    loginPage,
    user,
    baseURL,
  }) => {
    const elsewhere = await signedInElsewhere(browser, baseURL, user);
    await loginPage.signInToAccount(user.email, user.password);
    const sessions = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
    await expect(sessions).toHaveCount(2);
    await expect(sessions.filter({ hasText: "This browser" })).toHaveCount(1);
    await expect(sessions.first()).toContainText("Chrome");
    await expect(sessions.filter({ hasText: "198.19.7.7" })).toHaveCount(1);

    await page.getByRole("button", { name: /^End session: / }).click();
    await expect(page.getByText("That session was ended")).toBeVisible();
    await expect(sessions).toHaveCount(1);
    await elsewhere.page.goto("/account");
    await expect(elsewhere.page).toHaveURL(/\/login/);
    await elsewhere.close();
  });

  test("'Forgot password?' for an unknown address looks the same, and its inbox says there is no account", async ({
    page,
    inbox,
  }) => {
    const email = inbox.address("stranger");
    await page.goto("/forgot-password");
    await new ForgotPasswordPage(page).request(email);
    await expectCheckInbox(page);
    expect((await inbox.receive(email)).text).toContain("no account uses this address");
  });

  test("a forged reset link shows a clear page", async ({ page }) => {
    await page.goto(`/reset-password?token=${"A".repeat(22)}.${"B".repeat(43)}`);
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();
    await page.goto("/verify-email?token=nonsense");
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();
  });

  test("change name, change email (confirmed from the new inbox, the old one told), change password", async ({
    page,
    loginPage,
    user,
    inbox,
    baseURL,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    const settings = new AccountSettings(page);

    // A name that would reorder the text around it (a bidi override) is refused; nothing is saved.
    await settings.changeName("Tess \u202Egnp.exe");
    await expect(page.getByText("A name cannot hold line breaks or control characters")).toBeVisible();
    await settings.changeName("Tess Renamed");
    await expect(page.getByText("Your name was saved.")).toBeVisible();

    const next = inbox.address("moved");
    await settings.changeEmail(next);
    await expect(page.getByText("We sent a link to your new address.")).toBeVisible();
    await page.goto(linkIn(await inbox.receive(next), `${baseURL}/verify-email?token=`));
    await new VerifyEmailPage(page).confirm();
    expect((await inbox.receive(user.email)).text).toContain(`changed to ${next}`);
    await page.goto("/account");
    await expect(page.getByText(next).first()).toBeVisible();
    await expect(settings.emailStatus()).toHaveText("Your email address is confirmed.");

    await settings.changePassword("not my password", STRONG);
    await expect(page.getByText("That is not your current password.")).toBeVisible();
    await expect(page.getByLabel("Current password")).toHaveValue("");
    await settings.changePassword(user.password, STRONG);
    await expect(page.getByText("Your password was changed.")).toBeVisible();

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(page.getByText("You have signed out.")).toBeVisible();
    await loginPage.signIn(next, STRONG);
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByText("Tess Renamed").first()).toBeVisible();
  });
});

test.describe("a change of address tells nobody whether an address has an account", () => {
  test("an earlier link for a new address stops working whether or not the next address asked for has an account", async ({
    page,
    loginPage,
    user,
    otherUser,
    inbox,
    baseURL,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    const settings = new AccountSettings(page);
    // The person holds a link for an address of their own, then asks for another address: opening
    // the first link (which changes nothing) must look the same whether that address is free or not.
    for (const next of [inbox.address("free"), otherUser.email]) {
      const mine = inbox.address("mine");
      await page.goto("/account");
      await settings.changeEmail(mine);
      await expect(page.getByText("We sent a link to your new address.")).toBeVisible();
      const earlier = linkIn(await inbox.receive(mine), `${baseURL}/verify-email?token=`);
      await page.goto("/account");
      await settings.changeEmail(next);
      await expect(page.getByText("We sent a link to your new address.")).toBeVisible();
      await inbox.receive(next);
      await page.goto(earlier);
      await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();
    }
  });
});

test.describe("a change of address the person did not make", () => {
  test("the old inbox's link puts the address back, signs out everywhere (apps too), and the password is reset from it", async ({
    page,
    browser,
    loginPage,
    consentPage,
    demo,
    user,
    inbox,
    baseURL,
    db,
  }) => {
    // Someone who knows the password signs in to an app and to the account page, and moves the
    // account to an address of theirs.
    await signInThroughDemo({ demo, loginPage, consentPage }, user, { rememberDecision: true });
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");
    const elsewhere = await signedInElsewhere(browser, baseURL, user);
    await page.goto("/account");
    const theirs = inbox.address("taker");
    await new AccountSettings(page).changeEmail(theirs);
    await expect(page.getByText("We sent a link to your new address.")).toBeVisible();
    await page.goto(linkIn(await inbox.receive(theirs), `${baseURL}/verify-email?token=`));
    await new VerifyEmailPage(page).confirm();

    // The owner reads the notice at the old address and follows its link.
    const notice = await inbox.receive(user.email);
    expect(notice.text).toContain(`changed to ${theirs}`);
    expect(notice.text).toContain("for 7 days");
    expect(notice.html).toContain("This wasn&#39;t me — keep my old address");
    const undo = linkIn(notice, `${baseURL}/restore-email?token=`);
    await page.goto(undo);
    await expect(page.getByText(`changed to ${theirs}`)).toBeVisible();
    // Password managers save the new password for the address the account gets back.
    await expect(page.locator('form input[autocomplete="username"]')).toHaveValue(user.email);
    expect((await db.user.findUnique({ where: { id: user.id } }))?.email).toBe(theirs);
    await new RestoreEmailPage(page).keepOldAddress(STRONG);
    expect((await db.user.findUnique({ where: { id: user.id } }))?.email).toBe(user.email);

    // Everyone is signed out: the other browser, this one, and the app's tokens are revoked.
    await elsewhere.page.goto("/account");
    await expect(elsewhere.page).toHaveURL(/\/login/);
    await elsewhere.close();
    await expect(async () => {
      await demo.goto();
      await expect(demo.claim(demo.introspection, "active")).toHaveText("false", { timeout: 1000 });
    }).toPass();

    // The link works once.
    await page.goto(undo);
    await expect(page.getByRole("heading", { name: "This link does not work" })).toBeVisible();

    // The old address signs in with the password chosen on the page, and with nothing else.
    await page.goto("/restore-email?done=1");
    await page.getByRole("link", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/login/);
    expect(await loginPage.signInExpectingError(user.email, user.password)).toContain("incorrect");
    await loginPage.goto();
    expect(await loginPage.signInExpectingError(theirs, user.password)).toContain("incorrect");
    await loginPage.signIn(user.email, STRONG);
    await expect(page).toHaveURL(/\/account$/);
    await expect(new AccountSettings(page).emailStatus()).toHaveText("Your email address is confirmed.");
  });

  test("an old address another account took meanwhile: the page says so and nothing changes", async ({
    page,
    browser,
    loginPage,
    user,
    inbox,
    baseURL,
    db,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    const next = inbox.address("next");
    await new AccountSettings(page).changeEmail(next);
    await expect(page.getByText("We sent a link to your new address.")).toBeVisible();
    await page.goto(linkIn(await inbox.receive(next), `${baseURL}/verify-email?token=`));
    await new VerifyEmailPage(page).confirm();
    const undo = linkIn(await inbox.receive(user.email), `${baseURL}/restore-email?token=`);

    await page.goto(undo);
    await expect(page.getByRole("heading", { name: "Keep your old email address" })).toBeVisible();
    // Someone signs up with the old address, in another browser, while the page is open.
    const other = await browser.newContext({
      baseURL,
      extraHTTPHeaders: { "x-forwarded-for": "198.19.8.8" },
    });
    const signUp = new SignUpPage(await other.newPage());
    await signUp.goto();
    await signUp.signUp({ name: "Sam Squatter", email: user.email, password: STRONG });
    await expectCheckInbox(signUp.page);
    await other.close();
    await page.getByLabel("New password", { exact: true }).fill(STRONG);
    await page.getByRole("button", { name: "Keep my old address" }).click();
    await expect(page.getByRole("heading", { name: "Your old address is in use" })).toBeVisible();
    expect((await db.user.findUnique({ where: { id: user.id } }))?.email).toBe(next);
    await page.goto("/account");
    await expect(page).toHaveURL(/\/account$/);
  });
});

test.describe("prompt=create", () => {
  test("lands on sign-up and, after sign-up and sign-in, continues the authorization request", async ({
    page,
    loginPage,
    consentPage,
    inbox,
    otherSite,
    baseURL,
  }) => {
    const clientId = `prompt-create-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const redirectUri = await registerAppClient(baseURL!, otherSite, {
      id: clientId,
      client_name: "Prompt Create App",
      scope: "openid email",
      public: true,
    });
    await page.goto(
      authorizePath({
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: "openid email",
        state: "state-of-the-app-123",
        nonce: "nonce-of-the-app-123",
        prompt: "create",
      }),
    );
    await expect(page).toHaveURL(/\/signup\?consent=/);
    const email = inbox.address("created");
    await new SignUpPage(page).signUp({ name: "Cleo Created", email, password: STRONG });
    await expectCheckInbox(page);
    await page.getByRole("link", { name: "Continue to sign in" }).click();
    await expect(page.getByText("to continue to Prompt Create App")).toBeVisible();
    await loginPage.signIn(email, STRONG);
    await consentPage.expectShown();
    await consentPage.allow();
    await expect(page).toHaveURL(/\/callback\?/);
    const back = new URL(page.url());
    expect(back.searchParams.get("state")).toBe("state-of-the-app-123");
    expect(back.searchParams.get("code")).toBeTruthy();
  });
});

test.describe("deleting an account, and the recent sign-in it needs", () => {
  test("delete account: typed confirmation; then sign-in fails and the app's tokens are inactive", async ({
    page,
    loginPage,
    consentPage,
    demo,
    user,
    db,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user, { rememberDecision: true });
    await expect(demo.claim(demo.introspection, "active")).toHaveText("true");

    await page.goto("/account");
    const settings = new AccountSettings(page);
    await settings.deleteAccount("someone-else@example.com");
    await expect(page.getByText("That is not the email address of this account.")).toBeVisible();
    expect(await db.user.count({ where: { id: user.id } })).toBe(1);

    await settings.deleteAccount(user.email.toUpperCase());
    await expect(page.getByText("Your account was deleted.")).toBeVisible();
    expect(await db.user.count({ where: { id: user.id } })).toBe(0);
    expect(await db.rememberedGrant.count({ where: { userId: user.id } })).toBe(0);
    expect(await db.session.count({ where: { userId: user.id } })).toBe(0);

    await demo.goto();
    await expect(demo.claim(demo.introspection, "active")).toHaveText("false");
    await loginPage.goto();
    expect(await loginPage.signInExpectingError(user.email, user.password)).toContain("incorrect");
  });

  test("an address at an internationalised domain: signed in and deletion confirmed typed in Unicode", async ({
    page,
    loginPage,
    db,
  }) => {
    // Chromium sends an email field's "…@bücher.example" as "…@xn--bcher-kva.example": that is the account.
    const local = `idn-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const person = await new UserStore(db).create({
      email: `${local}@xn--bcher-kva.example`,
      password: STRONG,
      name: "Anna Bücher",
    });
    await loginPage.goto();
    await loginPage.signIn(`${local}@bücher.example`, STRONG);
    await expect(page).toHaveURL(/\/account$/);

    // The confirmation is a text field, which no browser converts.
    await new AccountSettings(page).deleteAccount(`${local}@BÜCHER.example`);
    await expect(page.getByText("Your account was deleted.")).toBeVisible();
    expect(await db.user.count({ where: { id: person.id } })).toBe(0);
  });

  test("after 10 minutes, changing the account needs the password again", async ({
    page,
    loginPage,
    user,
    db,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    // Fast-forward: this sign-in happened eleven minutes ago.
    await db.session.updateMany({
      where: { userId: user.id },
      data: { authTime: new Date(Date.now() - 11 * 60_000) },
    });
    await page.reload();
    const settings = new AccountSettings(page);
    await expect(page.getByRole("heading", { name: "Confirm it’s you" })).toBeVisible();

    await settings.changeName("Not Allowed Yet");
    await expect(page.getByText(/enter your password again before changing your account/)).toBeVisible();
    expect((await db.user.findUnique({ where: { id: user.id } }))?.name).toBe(user.name);

    await settings.confirmPassword("not the password");
    await expect(page.getByText("The email or password is incorrect.")).toBeVisible();
    await settings.confirmPassword(user.password);
    await expect(page.getByText("You can change your account for the next 10 minutes.")).toBeVisible();
    await settings.changeName("Allowed Now");
    await expect(page.getByText("Your name was saved.")).toBeVisible();
    expect((await db.user.findUnique({ where: { id: user.id } }))?.name).toBe("Allowed Now");
  });
});

test.describe("a field refused by the server", () => {
  test("keeps what was typed, so the error is about the text shown (account page and sign-up)", async ({
    page,
    loginPage,
    user,
    inbox,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    const typed = "Tess \u202Egnp.exe";
    await new AccountSettings(page).changeName(typed);
    await expect(page.getByText("A name cannot hold line breaks or control characters")).toBeVisible();
    // Not the saved name back under an error about another: the person's own text, to correct.
    const name = page.getByLabel("Name", { exact: true });
    await expect(name).toBeFocused();
    await expect(name).toHaveValue(typed);

    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await expect(page.getByText("You have signed out.")).toBeVisible();
    const signUp = new SignUpPage(page);
    await signUp.goto();
    const email = inbox.address("kept");
    await signUp.signUp({ name: typed, email, password: STRONG });
    await expect(page.getByText("A name cannot hold line breaks or control characters")).toBeVisible();
    await expect(signUp.name).toHaveValue(typed);
    await expect(signUp.email).toHaveValue(email);
    await expect(signUp.password).toHaveValue("");
  });
});

test.describe("a page open while the sign-in grows old", () => {
  test("a change refused for want of a recent sign-in brings up Confirm it's you, without a reload", async ({
    page,
    loginPage,
    user,
    db,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    await expect(page.getByRole("heading", { name: "Confirm it’s you" })).toHaveCount(0);
    // The page stays open while the sign-in passes ten minutes (fast-forwarded), then a change is sent.
    await db.session.updateMany({
      where: { userId: user.id },
      data: { authTime: new Date(Date.now() - 11 * 60_000) },
    });
    const settings = new AccountSettings(page);
    await settings.changeName("Not Allowed Yet");
    await expect(page.getByText(/enter your password again before changing your account/)).toBeVisible();
    // The message asks for the password: the page must offer where to enter it.
    await expect(page.getByRole("heading", { name: "Confirm it’s you" })).toBeVisible();
    await settings.confirmPassword(user.password);
    await expect(page.getByText("You can change your account for the next 10 minutes.")).toBeVisible();
    await settings.changeName("Allowed Now");
    await expect(page.getByText("Your name was saved.")).toBeVisible();
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-up: the password rules are checked by the server, then verify and sign in", async ({
    page,
    loginPage,
    inbox,
    baseURL,
  }) => {
    const email = inbox.address("nojs");
    const signUp = new SignUpPage(page);
    await signUp.goto();
    await signUp.signUp({ name: "Nils NoScript", email, password: "qwertyuiop" });
    await expect(page.getByText("Very weak: This is one of the most common passwords")).toBeVisible();
    await expect(signUp.email).toHaveValue(email);
    await expect(signUp.password).toHaveValue("");
    await signUp.password.fill(STRONG);
    await signUp.submit.click();
    await expectCheckInbox(page);

    await page.goto(linkIn(await inbox.receive(email), `${baseURL}/verify-email?token=`));
    await new VerifyEmailPage(page).confirm();
    await loginPage.signInToAccount(email, STRONG);
    await expect(new AccountSettings(page).emailStatus()).toHaveText("Your email address is confirmed.");
  });

  test("forgot → reset → sign in", async ({ page, loginPage, user, inbox, baseURL }) => {
    await page.goto("/forgot-password");
    await new ForgotPasswordPage(page).request(user.email);
    await expectCheckInbox(page);
    await page.goto(linkIn(await inbox.receive(user.email), `${baseURL}/reset-password?token=`));
    await new ResetPasswordPage(page).reset(STRONG);
    await expect(page.getByText("Your password was changed. Sign in with your new password.")).toBeVisible();
    await loginPage.signIn(user.email, STRONG);
    await expect(page).toHaveURL(/\/account$/);
  });
});
