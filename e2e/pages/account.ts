import { expect, type Locator, type Page } from "@playwright/test";

/** /account: every app the user let in (remembered or with live access), each with a Revoke button. */
export class AccountPage {
  readonly rememberedApps: Locator;
  readonly signOutButton: Locator;

  constructor(readonly page: Page) {
    this.rememberedApps = page.getByRole("list", { name: "Apps you let in" }).getByRole("listitem");
    this.signOutButton = page.getByRole("button", { name: "Sign out", exact: true });
  }

  async goto(): Promise<void> {
    await this.page.goto("/account");
    await expect(this.page.getByRole("heading", { name: "Your account" })).toBeVisible();
  }

  app(name: string): Locator {
    return this.rememberedApps.filter({ hasText: name });
  }

  async signOutEverywhere(): Promise<void> {
    await this.page.getByRole("button", { name: "Sign out everywhere" }).click();
  }

  async revoke(name: string): Promise<void> {
    await expect(this.app(name)).toHaveCount(1);
    await this.page.getByRole("button", { name: `Revoke ${name}` }).click();
    // Back on /account, whose list no longer has the app: not merely some page without the list.
    await expect(this.page.getByRole("heading", { name: "Your account" })).toBeVisible();
    await expect(this.app(name)).toHaveCount(0);
  }
}
