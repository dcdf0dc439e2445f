import { expect, type Locator, type Page } from "@playwright/test";

/** /consent/ask?consent=<id> (GET /consent leads there when the person must decide): one checkbox per requested scope, Remember my decision, Allow access, Deny. */
export class ConsentPage {
  readonly heading: Locator;
  readonly rememberDecision: Locator;
  readonly allowButton: Locator;
  readonly denyButton: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole("heading", { level: 1 });
    this.rememberDecision = page.getByRole("checkbox", { name: "Remember my decision" });
    this.allowButton = page.getByRole("button", { name: "Allow access" });
    this.denyButton = page.getByRole("button", { name: "Deny" });
    this.alert = page.getByRole("alert");
  }

  /** The checkbox of one requested scope (its accessible name is the plain title, then the scope). */
  scope(scope: string): Locator {
    return this.page.locator(`input[type="checkbox"][name="scope"][value="${scope}"]`);
  }

  async expectShown(): Promise<void> {
    await expect(this.page).toHaveURL(/\/consent\/ask\?consent=/);
    await expect(this.allowButton).toBeVisible();
  }

  /** The consent request id from the address bar. */
  consentId(): string {
    const id = new URL(this.page.url()).searchParams.get("consent");
    if (!id) throw new Error(`not a consent page: ${this.page.url()}`);
    return id;
  }

  async allow(options: { remember?: boolean; untick?: string[] } = {}): Promise<void> {
    for (const scope of options.untick ?? []) await this.scope(scope).uncheck();
    if (options.remember) await this.rememberDecision.check();
    await this.allowButton.click();
  }

  async deny(): Promise<void> {
    await this.denyButton.click();
  }
}
