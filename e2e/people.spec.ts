import { randomBytes } from "node:crypto";
import type { Page } from "@playwright/test";
import { UserStore } from "@/lib/users/store.ts";
import { linkIn } from "@/tests/support/mailbox.ts";
import { authorizePath, expect, registerAppClient, signInThroughDemo, test } from "./fixtures.ts";
import { AccountSettings, ForgotPasswordPage, ResetPasswordPage } from "./pages/accounts.ts";
import { SignOutPages } from "./pages/sign-out.ts";

/**
 * The pages as people meet them beyond the happy path: on a phone's screen with a client that
 * names itself at length, in a tab whose title is all a screen reader's tab list says, and with a
 * password manager that must know which account a new password belongs to.
 */

/** How far the page reaches past the viewport, sideways (0: it fits). */
function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

test.describe("a client's long name, address and scopes on a 320 px wide screen", () => {
  test.use({ viewport: { width: 320, height: 640 } });

  test("wrap: the sign-in, consent and account pages need no sideways scrolling, and the name shows in full", async ({
    page,
    baseURL,
    otherSite,
    loginPage,
    consentPage,
    user,
  }) => {
    const id = `long-name-${randomBytes(4).toString("hex")}`;
    const name = `Verylongappname${"x".repeat(60)}End`;
    const scopes = Array.from(
      { length: 3 },
      (_, i) => `https://api.example.com/resources/${i}/read.write.all`,
    );
    const redirectUri = await registerAppClient(baseURL!, otherSite, {
      id,
      client_name: name,
      scope: `openid ${scopes.join(" ")}`,
      public: true,
      client_uri: `https://${"subdomain".repeat(6)}.example.com/`,
      policy_uri: "https://example.com/privacy",
    });
    await page.goto(
      authorizePath({
        client_id: id,
        redirect_uri: redirectUri,
        scope: `openid ${scopes.join(" ")}`,
        state: "state-of-the-app-123",
      }),
    );
    await loginPage.expectShown();
    await expect(page.getByText(`to continue to ${name}`)).toBeVisible();
    expect(await overflow(page)).toBe(0);

    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    expect(await overflow(page)).toBe(0);
    // The whole name is on the screen: none of it is pushed off either edge, where nobody can read it.
    const box = await consentPage.heading.boundingBox();
    expect(box?.x).toBeGreaterThanOrEqual(0);
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(320);
    await expect(consentPage.heading).toHaveText(`${name} wants to access your account`);

    await consentPage.allow();
    await expect(page).toHaveURL(/\/callback\?code=/);
    await page.goto("/account");
    await expect(page.getByRole("list", { name: "Apps you let in" })).toContainText(name);
    expect(await overflow(page)).toBe(0);
  });
});

test.describe("a long email address on a 320 px wide screen", () => {
  test.use({ viewport: { width: 320, height: 640 } });

  test("the consent screen's Signed in as shows all of it, so that two accounts that begin alike differ", async ({
    page,
    db,
    demo,
    loginPage,
    consentPage,
  }) => {
    const email = `firstname.middlename.lastname-${randomBytes(4).toString("hex")}@personal-mail.example.com`;
    const password = `pw-${randomBytes(9).toString("base64url")}`;
    await new UserStore(db).create({ email, password, name: "Long Address" });
    await demo.startSignIn();
    await loginPage.signIn(email, password);
    await consentPage.expectShown();
    const shown = page.getByText(email, { exact: true });
    await expect(shown).toBeVisible();
    // Nothing of it is cut off: the text fits its box, and the box the screen.
    expect(await shown.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
    const box = await shown.boundingBox();
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(320);
    expect(await overflow(page)).toBe(0);
  });
});

test.describe("page titles say what the page says", () => {
  test("Back to a consent request already answered: the tab is titled so, not Allow access?", async ({
    page,
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
    await page.goBack();
    await expect(
      page.getByRole("heading", { name: "This sign-in request was already answered" }),
    ).toBeVisible();
    await expect(page).toHaveTitle("This sign-in request was already answered · Portico");
    expect(await page.locator("title").count()).toBe(1);
  });

  test("a consent or Hydra 2.x sign-in link that cannot be used is titled by its problem", async ({
    page,
  }) => {
    await page.goto("/consent/ask?consent=not-a-request-0123456789");
    await expect(page).toHaveTitle("We could not find this sign-in request · Portico");
    await page.goto(`${process.env.PORTICO_E2E_V2_URL}/login?login_challenge=not-a-challenge-0123456789`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      "We could not find this sign-in request",
    );
    await expect(page).toHaveTitle("We could not find this sign-in request · Portico");
  });

  test("Back to a sign-out confirmation already used: titled Sign-out could not continue, not Sign out?", async ({
    page,
    loginPage,
    user,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    const signOut = new SignOutPages(page);
    await signOut.startAtEndSession({ client_id: "portico-demo" });
    await signOut.expectConfirmation();
    await expect(page).toHaveTitle("Sign out? · Portico");
    await signOut.confirm();
    await signOut.expectSignedOut();
    await page.goBack();
    await expect(signOut.alert).toContainText("already used or has expired");
    await expect(page).toHaveTitle("Sign-out could not continue · Portico");
  });

  test("a mailed link that does not work is titled so, not by what it would have done", async ({ page }) => {
    await page.goto("/reset-password?token=forged-token-0123456789");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("This link does not work");
    await expect(page).toHaveTitle("This link does not work · Portico");
    await page.goto("/verify-email?token=forged-token-0123456789");
    await expect(page).toHaveTitle("This link does not work · Portico");
    await page.goto("/restore-email?token=forged-token-0123456789");
    await expect(page).toHaveTitle("This link does not work · Portico");
  });
});

/**
 * The lowest contrast of each text field's edge (its inset ring) with the colours either side of it:
 * the field's own background, and the card's around it.
 */
function fieldEdgeContrasts(page: Page): Promise<{ field: string; contrast: number }[]> {
  return page.evaluate(() => {
    const canvas = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    if (!canvas) throw new Error("no canvas");
    const luminance = (color: string) => {
      canvas.clearRect(0, 0, 1, 1);
      canvas.fillStyle = color;
      canvas.fillRect(0, 0, 1, 1);
      const [r, g, b] = [...canvas.getImageData(0, 0, 1, 1).data].map((value) => {
        const c = value / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      }) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const background = (element: Element | null): string => {
      for (let at = element; at; at = at.parentElement) {
        const color = getComputedStyle(at).backgroundColor;
        if (color !== "rgba(0, 0, 0, 0)" && color !== "transparent") return color;
      }
      return "white";
    };
    const fields = [
      ...document.querySelectorAll<HTMLInputElement>("input:not([type=hidden]):not([type=checkbox])"),
    ];
    return fields
      .filter((input) => input.offsetParent !== null)
      .map((input) => {
        const ring = getComputedStyle(input)
          .boxShadow.split(/,(?![^(]*\))/)
          .find((shadow) => shadow.includes("inset"));
        const edge = luminance(ring?.trim().replace(/\s+-?\d+px.*$/, "") ?? "transparent");
        return {
          field: input.name,
          contrast: Math.min(
            ratio(edge, luminance(getComputedStyle(input).backgroundColor)),
            ratio(edge, luminance(background(input.parentElement))),
          ),
        };
      });
  });
}

test.describe("text fields can be told apart from the page", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`their edges have 3:1 contrast with the field and the card (WCAG 1.4.11), ${colorScheme}`, async ({
      page,
    }) => {
      await page.emulateMedia({ colorScheme });
      for (const path of ["/login", "/signup", "/forgot-password"]) {
        await page.goto(path);
        const edges = await fieldEdgeContrasts(page);
        expect(edges.length, path).toBeGreaterThan(0);
        for (const { field, contrast } of edges)
          expect(contrast, `${path} ${field}`).toBeGreaterThanOrEqual(3);
      }
    });
  }
});

/** The warnings Chromium logs for a password form a password manager cannot tie to an account. */
function passwordFormWarnings(page: Page): string[] {
  const warnings: string[] = [];
  page.on("console", (message) => {
    if (/Password forms should have .*username/i.test(message.text())) warnings.push(message.text());
  });
  return warnings;
}

test.describe("password managers know which account a new password is for", () => {
  test("the reset form names the account (autocomplete=username), and the new password still signs in", async ({
    page,
    loginPage,
    user,
    inbox,
    baseURL,
  }) => {
    const warnings = passwordFormWarnings(page);
    await page.goto("/forgot-password");
    await new ForgotPasswordPage(page).request(user.email);
    await page.goto(linkIn(await inbox.receive(user.email), `${baseURL}/reset-password?token=`));
    const form = page.locator("form", { has: page.getByLabel("New password") });
    await expect(form.locator('input[autocomplete="username"]')).toHaveValue(user.email);
    await new ResetPasswordPage(page).reset("plum quartz lantern 42");
    await expect(page.getByText("Your password was changed. Sign in with your new password.")).toBeVisible();
    await loginPage.signIn(user.email, "plum quartz lantern 42");
    await expect(page).toHaveURL(/\/account$/);
    expect(warnings).toEqual([]);
  });

  test("so do the account page's Change password and Confirm it's you", async ({
    page,
    loginPage,
    user,
    db,
  }) => {
    const warnings = passwordFormWarnings(page);
    await loginPage.signInToAccount(user.email, user.password);
    const change = page.getByRole("form", { name: "Change your password" });
    await expect(change.locator('input[autocomplete="username"]')).toHaveValue(user.email);
    // Only for password managers: nobody sees, reaches or hears it.
    await expect(change.getByRole("textbox")).toHaveCount(2);

    await db.session.updateMany({
      where: { userId: user.id },
      data: { authTime: new Date(Date.now() - 11 * 60_000) },
    });
    await page.reload();
    const confirm = page.getByRole("form", { name: "Confirm your password" });
    await expect(confirm.locator('input[autocomplete="username"]')).toHaveValue(user.email);
    await new AccountSettings(page).confirmPassword(user.password);
    await expect(page.getByText("You can change your account for the next 10 minutes.")).toBeVisible();
    await new AccountSettings(page).changePassword(user.password, "plum quartz lantern 42");
    await expect(page.getByText("Your password was changed.")).toBeVisible();
    expect(warnings).toEqual([]);
  });
});

test.describe("without JavaScript, a refused form", () => {
  test.use({ javaScriptEnabled: false });

  test("on /account is answered with its own error, not the notice of the change before it, and has the focus", async ({
    page,
    loginPage,
    user,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    const settings = new AccountSettings(page);
    await settings.changeName("Nina Noscript");
    await expect(page).toHaveURL(/\/account\?done=name$/);
    await expect(page.getByRole("alert")).toHaveText("Your name was saved.");

    await settings.changePassword("not-the-password", "plum quartz lantern 42");
    await expect(page.getByText("That is not your current password.")).toBeVisible();
    await expect(page.getByText("Your name was saved.")).toHaveCount(0);
    await expect(page.getByRole("alert")).toHaveText("Please correct the highlighted fields.");
    await expect(page.getByRole("alert")).toBeFocused();
  });

  test('a refused sign-in after signing out says only why it was refused, not "You have signed out." again', async ({
    page,
    loginPage,
  }) => {
    await page.goto("/login?signed_out=1");
    await expect(page.getByText("You have signed out.")).toBeVisible();
    await loginPage.signIn("nobody@example.com", "not-the-password");
    await expect(loginPage.alert).toHaveText("The email or password is incorrect.");
    await expect(page.getByText("You have signed out.")).toHaveCount(0);
  });

  test("a refused sign-in puts the focus on its message, as with JavaScript; Tab goes on to the email field", async ({
    page,
    loginPage,
    user,
  }) => {
    await loginPage.goto();
    await loginPage.signIn(user.email, "not-the-password");
    await expect(loginPage.alert).toHaveText("The email or password is incorrect.");
    await expect(loginPage.alert).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(loginPage.email).toBeFocused();
    await expect(loginPage.email).toHaveValue(user.email);
  });
});
