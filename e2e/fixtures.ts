import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { test as base, expect, type Page } from "@playwright/test";
import { createDatabase, type Database } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { type ReceivedMail, waitForMail } from "@/tests/support/mailbox.ts";
import { AccountPage } from "./pages/account.ts";
import { ConsentPage } from "./pages/consent.ts";
import { DemoApp } from "./pages/demo.ts";
import { LoginPage } from "./pages/login.ts";

export interface TestUser {
  id: string;
  email: string;
  password: string;
  name: string;
}

/** A page on another site (localhost vs the server's 127.0.0.1), served for attacks on Portico. */
export interface OtherSite {
  url: string;
  serve(html: string): void;
}

/** The test SMTP server's messages, read over HTTP. */
interface Inbox {
  /** A fresh address of this test's own, so no other test reads its mail. */
  address(label: string): string;
  /** The `count`-th message (1 by default) to `to`, once it has arrived. */
  receive(to: string, count?: number): Promise<ReceivedMail>;
  /** Every message to `to` so far. */
  all(to: string): Promise<ReceivedMail[]>;
}

interface Fixtures {
  otherSite: OtherSite;
  inbox: Inbox;
  /** A fresh user of its own for every test. */
  user: TestUser;
  /** A second one, for tests where two people share a browser. */
  otherUser: TestUser;
  /** A second address per test, for X-Forwarded-For (the server trusts one proxy). */
  clientAddress: string;
  loginPage: LoginPage;
  consentPage: ConsentPage;
  accountPage: AccountPage;
  demo: DemoApp;
  /** The opening of most consent tests: the demo's "Sign in with Portico", `user` signs in, the consent screen is shown. */
  consentShown: ConsentPage;
  /** Fails the test if the page logs a Content-Security-Policy violation… */
  cspGuard: undefined;
  /** …other than those this option matches (a test that provokes one on purpose). */
  expectedCspViolations: RegExp | undefined;
}

interface WorkerFixtures {
  /** The running server's database, to create users and to fast-forward time where a test needs it. */
  db: Database;
}

let addresses = 0;

async function createUser(db: Database, handle: string): Promise<TestUser> {
  const tag = randomBytes(5).toString("hex");
  const password = `pw-${randomBytes(9).toString("base64url")}`;
  const name = `${handle === "tess" ? "Tess Tester" : "Olly Other"} ${tag}`;
  const created = await new UserStore(db).create({ email: `${handle}-${tag}@example.com`, password, name });
  return { id: created.id, email: created.email, password, name };
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  db: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const url = process.env.PORTICO_E2E_DATABASE_URL;
      if (!url) throw new Error("PORTICO_E2E_DATABASE_URL is not set: run through playwright.config.ts");
      const db = createDatabase(url);
      await use(db);
      await db.$disconnect();
    },
    { scope: "worker" },
  ],
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  baseURL: async ({}, use) => {
    await use(process.env.PORTICO_E2E_URL);
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  clientAddress: async ({}, use, testInfo) => {
    addresses += 1;
    await use(`198.18.${testInfo.workerIndex % 250}.${addresses % 250}`);
  },
  extraHTTPHeaders: async ({ clientAddress }, use) => {
    await use({ "x-forwarded-for": clientAddress });
  },
  user: async ({ db }, use) => {
    await use(await createUser(db, "tess"));
  },
  otherUser: async ({ db }, use) => {
    await use(await createUser(db, "olly"));
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  otherSite: async ({}, use) => {
    let html = "";
    const server = createServer((_request, response) => {
      response.setHeader("content-type", "text/html; charset=utf-8");
      response.end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await use({
      url: `http://localhost:${port}/`,
      serve: (page) => {
        html = page;
      },
    });
    await new Promise((resolve) => server.close(resolve));
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  inbox: async ({}, use) => {
    const url = process.env.PORTICO_E2E_MAILBOX_URL;
    if (!url) throw new Error("PORTICO_E2E_MAILBOX_URL is not set: run through playwright.config.ts");
    await use({
      address: (label) => `${label}-${randomBytes(5).toString("hex")}@example.com`,
      receive: (to, count = 1) => waitForMail(url, to, { count }),
      all: async (to) => (await fetch(`${url}/messages?to=${encodeURIComponent(to)}`)).json(),
    });
  },
  loginPage: async ({ page }, use) => use(new LoginPage(page)),
  consentPage: async ({ page }, use) => use(new ConsentPage(page)),
  accountPage: async ({ page }, use) => use(new AccountPage(page)),
  demo: async ({ page }, use) => use(new DemoApp(page)),
  consentShown: async ({ demo, loginPage, consentPage, user }, use) => {
    await demo.startSignIn();
    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    await use(consentPage);
  },
  expectedCspViolations: [undefined, { option: true }],
  cspGuard: [
    async ({ page, expectedCspViolations }, use) => {
      const violations = cspViolations(page, expectedCspViolations);
      await use(undefined);
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** A hydra.clients token of the root client the e2e servers start with (PORTICO_E2E_ROOT), for registering clients. */
export async function adminToken(baseURL: string): Promise<string> {
  const [id, secret] = (process.env.PORTICO_E2E_ROOT ?? ":").split(":") as [string, string];
  const response = await fetch(`${baseURL}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=hydra.clients",
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The page the other site shows at /callback, where the tests' own clients return. */
const CALLBACK_PAGE = "<!doctype html><title>callback</title><p>back at the app</p>";

/**
 * Registers a client of this test's own through the 2017 API (POST /clients with the root client's
 * token) for the code flow, returning to the other site's /callback (which then shows a plain page);
 * `fields` add to the registration or replace its defaults. Answers its redirect URI.
 */
export async function registerAppClient(
  baseURL: string,
  otherSite: OtherSite,
  fields: { id: string } & Record<string, unknown>,
): Promise<string> {
  otherSite.serve(CALLBACK_PAGE);
  const redirectUri = `${otherSite.url}callback`;
  const created = await fetch(`${baseURL}/clients`, {
    method: "POST",
    headers: { authorization: `Bearer ${await adminToken(baseURL)}`, "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      ...fields,
    }),
  });
  expect(created.status).toBe(201);
  return redirectUri;
}

/**
 * An authorization request of the code flow with PKCE, by default with RFC 7636's example challenge
 * (for a test that does not exchange the code); `params` add to it or replace the defaults.
 */
export function authorizePath(params: Record<string, string>): string {
  return `/oauth2/auth?${new URLSearchParams({
    response_type: "code",
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "S256",
    ...params,
  })}`;
}

/**
 * The Content-Security-Policy violations `page` reports from now on (Chromium logs each as a console
 * error), except those `expected` matches. The cspGuard fixture fails a test on any of them.
 */
export function cspViolations(page: Page, expected?: RegExp): string[] {
  const violations: string[] = [];
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() !== "error" || !/Content.Security.Policy/i.test(text)) return;
    if (!expected?.test(text)) violations.push(text);
  });
  return violations;
}

/** The committed navigations of a page, to tell which screens a person actually saw. */
export function recordNavigations(page: Page): string[] {
  const seen: string[] = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) seen.push(new URL(frame.url()).pathname);
  });
  return seen;
}

/** Runs the demo's whole sign-in: start, sign in, consent. */
export async function signInThroughDemo(
  pages: { demo: DemoApp; loginPage: LoginPage; consentPage: ConsentPage },
  user: TestUser,
  options: { rememberMe?: boolean; rememberDecision?: boolean } = {},
): Promise<void> {
  await pages.demo.startSignIn();
  await pages.loginPage.expectShown();
  await pages.loginPage.signIn(user.email, user.password, { rememberMe: options.rememberMe });
  await pages.consentPage.expectShown();
  await pages.consentPage.allow({ remember: options.rememberDecision });
  await pages.demo.expectSignedIn(user.email);
}
