import { expect, type Locator, type Page } from "@playwright/test";

/** /login: the names of its fields and buttons are a contract (the README lists them); tests find them by name. */
export class LoginPage {
  readonly email: Locator;
  readonly password: Locator;
  readonly rememberMe: Locator;
  readonly signInButton: Locator;
  readonly alert: Locator;
  /** prompt=select_account: go on as the signed-in person, or sign out and use another account. */
  readonly useAnotherAccount: Locator;

  constructor(readonly page: Page) {
    this.useAnotherAccount = page.getByRole("button", { name: "Use another account" });
    this.email = page.getByLabel("Email", { exact: true });
    this.password = page.getByLabel("Password", { exact: true });
    this.rememberMe = page.getByRole("checkbox", { name: "Remember me" });
    this.signInButton = page.getByRole("button", { name: "Sign in", exact: true });
    this.alert = page.getByRole("alert");
  }

  continueAs(email: string): Locator {
    return this.page.getByRole("link", { name: `Continue as ${email}` });
  }

  async goto(): Promise<void> {
    await this.page.goto("/login");
  }

  async expectShown(): Promise<void> {
    await expect(this.page).toHaveURL(/\/login(\?|$)/);
    await expect(this.signInButton).toBeVisible();
  }

  async signIn(email: string, password: string, options: { rememberMe?: boolean } = {}): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
    if (options.rememberMe) await this.rememberMe.check();
    await this.signInButton.click();
  }

  /** Signs in at /login itself, which leads on to the account page. */
  async signInToAccount(email: string, password: string): Promise<void> {
    await this.goto();
    await this.signIn(email, password);
    await expect(this.page).toHaveURL(/\/account$/);
  }

  /** Submits and waits for the one alert that answers a refused sign-in (a new one each time). */
  async signInExpectingError(email: string, password: string): Promise<string> {
    const previous = (await this.alert.count()) > 0 ? await this.alert.elementHandle() : null;
    await this.signIn(email, password);
    await previous?.waitForElementState("hidden");
    await expect(this.alert).toHaveCount(1);
    await expect(this.page).toHaveURL(/\/login/);
    return (await this.alert.textContent()) ?? "";
  }
}
