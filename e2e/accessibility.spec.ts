import type { BrowserContext, Page } from "@playwright/test";
import { expect, test } from "./fixtures.ts";
import { AccountSettings } from "./pages/accounts.ts";
import { LoginPage } from "./pages/login.ts";

/**
 * The pages as a person who does not see them the usual way meets them: in Windows High Contrast
 * (forced colours), with the keyboard alone, and through a screen reader, which reads the
 * accessibility tree rather than the screen.
 */

/** The text fields and buttons on the page that show no edge at all: nothing tells there is one. */
function edgeless(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>("input:not([type=hidden]):not([type=checkbox]), button")]
      .filter((control) => control.offsetParent !== null)
      .filter((control) => {
        const style = getComputedStyle(control);
        return style.borderTopStyle === "none" || Number.parseFloat(style.borderTopWidth) === 0;
      })
      .map(
        (control) =>
          `${control.tagName.toLowerCase()} ${control.getAttribute("name") ?? control.textContent}`,
      ),
  );
}

/** The focused element's outline, as forced colours draw it (they drop the ring, a box-shadow). */
function focusOutline(page: Page): Promise<string> {
  return page.evaluate(() => {
    const style = getComputedStyle(document.activeElement ?? document.body);
    return `${style.outlineStyle} ${style.outlineWidth}`;
  });
}

test.describe("forced colours (Windows High Contrast)", () => {
  test("every text field and button shows its edge, and a focused text field its outline", async ({
    page,
    loginPage,
    user,
  }) => {
    await page.emulateMedia({ forcedColors: "active" });
    for (const path of ["/login", "/signup", "/forgot-password"]) {
      await page.goto(path);
      expect(await edgeless(page), path).toEqual([]);
    }
    await loginPage.goto();
    await loginPage.email.focus();
    await page.keyboard.type(user.email);
    await page.keyboard.press("Tab");
    await expect(loginPage.password).toBeFocused();
    expect(await focusOutline(page)).not.toMatch(/^none /);
    expect(await focusOutline(page)).not.toMatch(/ 0px$/);
    await page.keyboard.type(user.password);
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/account$/);
    expect(await edgeless(page), "/account").toEqual([]);
  });
});

test.describe("after a change on /account succeeds", () => {
  test("with the keyboard alone, the focus is on the notice that says so, not at the top of the page", async ({
    page,
    loginPage,
    user,
  }) => {
    await loginPage.signInToAccount(user.email, user.password);
    const settings = new AccountSettings(page);
    await settings.form("Change your name").getByLabel("Name", { exact: true }).fill("Kim Keys");
    await settings.form("Change your name").getByRole("button", { name: "Save name" }).focus();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/account\?done=name$/);
    await expect(settings.alert).toHaveText("Your name was saved.");
    await expect(settings.alert).toBeFocused();

    const change = settings.form("Change your password");
    await change.getByLabel("Current password").fill(user.password);
    await change.getByLabel("New password", { exact: true }).fill("plum quartz lantern 42");
    await change.getByRole("button", { name: "Change password" }).focus();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/account\?done=password$/);
    await expect(settings.alert).toHaveText("Your password was changed.");
    await expect(settings.alert).toBeFocused();

    // The same change again, at the same address: a new notice, said and focused again.
    const before = await settings.alert.elementHandle();
    await change.getByLabel("Current password").fill("plum quartz lantern 42");
    await change.getByLabel("New password", { exact: true }).fill("quince walrus tandem 77");
    await change.getByRole("button", { name: "Change password" }).focus();
    await page.keyboard.press("Enter");
    await before?.waitForElementState("hidden");
    await expect(settings.alert).toHaveText("Your password was changed.");
    await expect(settings.alert).toBeFocused();
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("the new page puts the focus on the notice", async ({ page, loginPage, user }) => {
      await loginPage.signInToAccount(user.email, user.password);
      const settings = new AccountSettings(page);
      await settings.changeName("Nina Noscript");
      await expect(page).toHaveURL(/\/account\?done=name$/);
      await expect(settings.alert).toHaveText("Your name was saved.");
      await expect(settings.alert).toBeFocused();
    });
  });
});

test.describe("what a screen reader reads on /account", () => {
  test('a badge is a word of its own: "Chrome on Linux This browser", not "LinuxThis browser"', async ({
    page,
    consentShown,
    demo,
    user,
  }) => {
    await consentShown.allow({ remember: true });
    await demo.expectSignedIn(user.email);
    await page.goto("/account");
    const sessions = await page.getByRole("list", { name: "Sessions" }).ariaSnapshot();
    expect(sessions).toMatch(/paragraph: .+\S This browser/);
    const apps = await page.getByRole("list", { name: "Apps you let in" }).ariaSnapshot();
    expect(apps).toContain("paragraph: Portico Demo App Remembered");
  });
});

test.describe("ending a session on /account", () => {
  test("two sessions in the same browser are told apart: each End button is described by its address", async ({
    page,
    browser,
    baseURL,
    loginPage,
    user,
  }) => {
    const addresses = ["198.19.8.1", "198.19.8.2"];
    const elsewhere: BrowserContext[] = [];
    for (const address of addresses) {
      const context = await browser.newContext({ baseURL, extraHTTPHeaders: { "x-forwarded-for": address } });
      elsewhere.push(context);
      await new LoginPage(await context.newPage()).signInToAccount(user.email, user.password);
    }
    await loginPage.signInToAccount(user.email, user.password);
    const end = page.getByRole("button", { name: /^End session: / });
    await expect(end).toHaveCount(2);
    // The same browser, so the same name: what is beside each button tells them apart, and is said with it.
    await expect(end.nth(1)).toHaveAccessibleName((await end.nth(0).getAttribute("aria-label")) ?? "");
    const sessions = page.getByRole("list", { name: "Sessions" }).getByRole("listitem");
    for (const address of addresses) {
      await expect(sessions.filter({ hasText: address }).getByRole("button")).toHaveAccessibleDescription(
        new RegExp(`^${address.replaceAll(".", "\\.")} · signed in .+ · last active .+ UTC$`),
      );
    }
    for (const context of elsewhere) await context.close();
  });
});

test.describe("the consent screen", () => {
  test("its links to the app's pages say they open a new tab; Not you? is a target of 24 px at least", async ({
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    for (const name of ["privacy policy", "terms of service"]) {
      const link = consentPage.page.getByRole("link", { name });
      await expect(link).toHaveAccessibleName(`${name} (opens in a new tab)`);
      await expect(link).toHaveAttribute("target", "_blank");
      await expect(link).toHaveAttribute("rel", "noopener noreferrer");
    }
    // WCAG 2.5.8 (Target Size, Minimum): 24 by 24 CSS pixels.
    const notYou = await consentPage.page.getByRole("button", { name: "Not you?" }).boundingBox();
    expect(notYou?.height).toBeGreaterThanOrEqual(24);
    expect(notYou?.width).toBeGreaterThanOrEqual(24);
  });
});
