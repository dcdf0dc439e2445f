import { expect, type Locator, type Page } from "@playwright/test";

/** An app as the pages lead back to it: its name and its own address (client_uri). */
export interface AppLink {
  name: string;
  uri: string;
}

const ANSWERED_ALREADY = "This sign-in request was already answered";

/**
 * The page of a request answered already (reached by Back or a reload, on the
 * consent screen or the sign-in page): it says so, and offers the way back to
 * the app (its client_uri) and to the account. Returns the way back.
 */
export async function expectAnsweredAlready(page: Page, app: AppLink): Promise<Locator> {
  await expect(page.getByRole("heading", { name: ANSWERED_ALREADY })).toBeVisible();
  const back = await expectWayBack(page, app);
  await expect(page.getByRole("link", { name: "Go to your account" })).toBeVisible();
  return back;
}

/**
 * An open form's refusal (its `alert`) when the request was answered
 * meanwhile, in another tab: said in place, with the way back to the app.
 */
export async function expectAnsweredMeanwhile(alert: Locator, app: AppLink): Promise<Locator> {
  await expect(alert).toContainText(ANSWERED_ALREADY);
  return expectWayBack(alert, app);
}

async function expectWayBack(within: Page | Locator, app: AppLink): Promise<Locator> {
  const back = within.getByRole("link", { name: `Back to ${app.name}` });
  await expect(back).toHaveAttribute("href", app.uri);
  await expect(back).toHaveAttribute("rel", "noopener noreferrer");
  return back;
}
