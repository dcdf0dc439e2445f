import { expect, type Locator, type Page } from "@playwright/test";

/** /signup: Name, Email, Password (with its strength meter), Create account. */
export class SignUpPage {
  readonly name: Locator;
  readonly email: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly alert: Locator;
  readonly strength: Locator;

  constructor(readonly page: Page) {
    this.name = page.getByLabel("Name", { exact: true });
    this.email = page.getByLabel("Email", { exact: true });
    this.password = page.getByLabel("Password", { exact: true });
    this.submit = page.getByRole("button", { name: "Create account" });
    this.alert = page.getByRole("alert");
    this.strength = page.getByRole("meter", { name: "Password strength" });
  }

  async goto(): Promise<void> {
    await this.page.goto("/signup");
  }

  async signUp(input: { name: string; email: string; password: string }): Promise<void> {
    await this.name.fill(input.name);
    await this.email.fill(input.email);
    await this.password.fill(input.password);
    await this.submit.click();
  }
}

/** The one answer to sign-up and "Forgot password?". */
export async function expectCheckInbox(page: Page): Promise<void> {
  await expect(page.getByRole("heading", { name: "Check your inbox" })).toBeVisible();
}

/** /forgot-password. */
export class ForgotPasswordPage {
  readonly email: Locator;
  readonly submit: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.email = page.getByLabel("Email", { exact: true });
    this.submit = page.getByRole("button", { name: "Send reset link" });
    this.alert = page.getByRole("alert");
  }

  async request(email: string): Promise<void> {
    await this.email.fill(email);
    await this.submit.click();
  }
}

/** /reset-password?token=…: the page a reset link opens. */
export class ResetPasswordPage {
  readonly password: Locator;
  readonly submit: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.password = page.getByLabel("New password", { exact: true });
    this.submit = page.getByRole("button", { name: "Set new password" });
    this.alert = page.getByRole("alert");
  }

  async reset(password: string): Promise<void> {
    await this.password.fill(password);
    await this.submit.click();
  }
}

/** /verify-email?token=…: opening it changes nothing; the button confirms. */
export class VerifyEmailPage {
  constructor(readonly page: Page) {}

  async confirm(): Promise<void> {
    await this.page.getByRole("button", { name: /Confirm my email address|Use this email address/ }).click();
    await expect(this.page.getByRole("heading", { name: "Your email address is confirmed" })).toBeVisible();
  }
}

/**
 * /restore-email?token=…: the undo link mailed to the old address; opening it changes nothing, the
 * button does, with the new password typed beside it.
 */
export class RestoreEmailPage {
  constructor(readonly page: Page) {}

  async keepOldAddress(password: string): Promise<void> {
    await expect(this.page.getByRole("heading", { name: "Keep your old email address" })).toBeVisible();
    await this.page.getByLabel("New password", { exact: true }).fill(password);
    await this.page.getByRole("button", { name: "Keep my old address" }).click();
    await expect(this.page.getByRole("heading", { name: "Your old email address is back" })).toBeVisible();
  }
}

/** The sections of /account that change the account. */
export class AccountSettings {
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.alert = page.getByRole("alert");
  }

  form(name: string): Locator {
    return this.page.getByRole("form", { name });
  }

  async changeName(name: string): Promise<void> {
    const form = this.form("Change your name");
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByRole("button", { name: "Save name" }).click();
  }

  async changeEmail(email: string): Promise<void> {
    const form = this.form("Change your email address");
    await form.getByLabel("New email address").fill(email);
    await form.getByRole("button", { name: "Change email address" }).click();
  }

  async changePassword(current: string, next: string): Promise<void> {
    const form = this.form("Change your password");
    await form.getByLabel("Current password").fill(current);
    await form.getByLabel("New password", { exact: true }).fill(next);
    await form.getByRole("button", { name: "Change password" }).click();
  }

  async confirmPassword(password: string): Promise<void> {
    const form = this.form("Confirm your password");
    await form.getByLabel("Current password").fill(password);
    await form.getByRole("button", { name: "Confirm password" }).click();
  }

  async deleteAccount(confirmation: string): Promise<void> {
    const form = this.form("Delete your account");
    await form.getByLabel("Type your email address to confirm").fill(confirmation);
    await form.getByRole("button", { name: "Delete my account" }).click();
  }

  emailStatus(): Locator {
    return this.page.getByText(/^Your email address is (confirmed|not confirmed yet)\.$/);
  }
}
