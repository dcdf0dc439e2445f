import { expect, type Locator, type Page } from "@playwright/test";

/** /account: the apps the user let in without asking, each with a Revoke button. */
export class AccountPage {
  readonly rememberedApps: Locator;
  readonly signOutButton: Locator;

  constructor(readonly page: Page) {
    this.rememberedApps = page.getByRole("list", { name: "Remembered decisions" }).getByRole("listitem");
    this.signOutButton = page.getByRole("button", { name: "Sign out" });
  }

  async goto(): Promise<void> {
    await this.page.goto("/account");
    await expect(this.page.getByRole("heading", { name: "Your account" })).toBeVisible();
  }

  app(name: string): Locator {
    return this.rememberedApps.filter({ hasText: name });
  }

  async revoke(name: string): Promise<void> {
    await expect(this.app(name)).toHaveCount(1);
    await this.page.getByRole("button", { name: `Revoke ${name}` }).click();
    // Back on /account, whose list no longer has the app: not merely some page without the list.
    await expect(this.page.getByRole("heading", { name: "Your account" })).toBeVisible();
    await expect(this.app(name)).toHaveCount(0);
  }
}
