import { expect, type Locator, type Page } from "@playwright/test";

/** The sign-out pages: "Sign out of Portico?" (a form with one "Sign out" button) and "You are signed out". */
export class SignOutPages {
  readonly confirmHeading: Locator;
  readonly signOutButton: Locator;
  readonly stayButton: Locator;
  readonly signedOutHeading: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.confirmHeading = page.getByRole("heading", { name: "Sign out of Portico?" });
    this.signOutButton = page.getByRole("button", { name: "Sign out", exact: true });
    this.stayButton = page.getByRole("link", { name: "Stay signed in" });
    this.signedOutHeading = page.getByRole("heading", { name: "You are signed out" });
    this.alert = page.getByRole("alert");
  }

  /** Starts an RP-initiated sign-out at the end-session endpoint, as a relying party would send the browser. */
  async startAtEndSession(params: Record<string, string>): Promise<void> {
    await this.page.goto(`/oauth2/sessions/logout?${new URLSearchParams(params)}`);
  }

  async expectConfirmation(): Promise<void> {
    await expect(this.page).toHaveURL(/\/logout\/confirm\?logout=/);
    await expect(this.confirmHeading).toBeVisible();
  }

  async confirm(): Promise<void> {
    await this.signOutButton.click();
  }

  async expectSignedOut(): Promise<void> {
    await expect(this.page).toHaveURL(/\/logout\/done$/);
    await expect(this.signedOutHeading).toBeVisible();
  }
}
