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

  /**
   * The page of a request answered already (reached by Back or a reload, on
   * either the consent screen or the sign-in page): it says so, and offers the
   * way back to the app (its client_uri) and to the account. Returns the way back.
   */
  async expectAnsweredAlready(app: AppLink): Promise<Locator> {
    await expect(this.page.getByRole("heading", { name: ANSWERED_ALREADY })).toBeVisible();
    const back = this.backTo(app, this.page);
    await expect(this.page.getByRole("link", { name: "Go to your account" })).toBeVisible();
    return back;
  }

  /**
   * The open form's refusal when the request was answered meanwhile (in
   * another tab): said in place, with the way back to the app. Returns it.
   */
  async expectAnsweredMeanwhile(app: AppLink): Promise<Locator> {
    await expect(this.alert).toContainText(ANSWERED_ALREADY);
    return this.backTo(app, this.alert);
  }

  private async backTo(app: AppLink, within: Page | Locator): Promise<Locator> {
    const back = within.getByRole("link", { name: `Back to ${app.name}` });
    await expect(back).toHaveAttribute("href", app.uri);
    await expect(back).toHaveAttribute("rel", "noopener noreferrer");
    return back;
  }
}

const ANSWERED_ALREADY = "This sign-in request was already answered";

/** An app as the pages lead back to it: its name and its own address (client_uri). */
export interface AppLink {
  name: string;
  uri: string;
}
