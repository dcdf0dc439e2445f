import { expect, type Locator, type Page } from "@playwright/test";
import type { AppLink } from "./answered.ts";

/** The demo relying party at `/`: a next-auth client of Portico like any third-party app. */
export class DemoApp {
  readonly signInButton: Locator;
  readonly signOutButton: Locator;
  readonly idTokenClaims: Locator;
  readonly introspection: Locator;
  readonly userinfo: Locator;
  readonly alert: Locator;

  constructor(readonly page: Page) {
    this.signInButton = page.getByRole("button", { name: "Sign in with Portico" });
    this.signOutButton = page.getByRole("button", { name: "Sign out of the demo" });
    this.idTokenClaims = page.getByRole("table", { name: "ID token claims" });
    this.introspection = page.getByRole("table", { name: "Access token introspection" });
    this.userinfo = page.getByRole("table", { name: "UserInfo claims" });
    this.alert = page.getByRole("alert");
  }

  /** The demo as the pages lead back to it: the name and client_uri it registered (the site's root). */
  link(baseURL: string): AppLink {
    return { name: "Portico Demo App", uri: new URL("/", baseURL).href };
  }

  async goto(): Promise<void> {
    await this.page.goto("/");
  }

  /** Opens the demo and starts "Sign in with Portico". */
  async startSignIn(): Promise<void> {
    await this.goto();
    await this.signInButton.click();
  }

  claim(table: Locator, name: string): Locator {
    return table
      .getByRole("row")
      .filter({ has: this.page.getByRole("rowheader", { name, exact: true }) })
      .getByRole("cell");
  }

  async expectSignedIn(email: string): Promise<void> {
    await expect(this.page).toHaveURL(/\/$/);
    await expect(this.idTokenClaims).toBeVisible();
    await expect(this.claim(this.idTokenClaims, "email")).toHaveText(email);
  }

  /**
   * Forgets the demo's own session only (its next-auth cookie), leaving the
   * Portico sign-in alone — the demo's Sign out button ends both.
   */
  async forgetSession(): Promise<void> {
    await this.page.context().clearCookies({ name: /next-auth\.session-token/ });
    await this.goto();
    await expect(this.signInButton).toBeVisible();
  }

  /** "Sign out of the demo": RP-initiated logout, which signs out of Portico too. */
  async signOut(): Promise<void> {
    await this.signOutButton.click();
    await expect(this.signInButton).toBeVisible();
  }
}
