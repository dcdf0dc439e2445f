import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { Browser, Page } from "@playwright/test";
import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from "jose";
import { linkIn } from "@/tests/support/mailbox.ts";
import {
  adminToken,
  test as base,
  expect,
  type OtherSite,
  recordNavigations,
  type TestUser,
} from "./fixtures.ts";
import { AccountSettings, ForgotPasswordPage, ResetPasswordPage } from "./pages/accounts.ts";
import { ConsentPage } from "./pages/consent.ts";
import { LoginPage } from "./pages/login.ts";
import { SignOutPages } from "./pages/sign-out.ts";

/**
 * Back-channel logout reaches relying parties exactly when a session of
 * Portico's really ends, through the real pages: an RP-initiated sign-out
 * from a browser where nobody is signed in ends the session its hint names
 * (and only then are the apps told); signing in again as the same person
 * keeps the session's sid, so a later sign-out reaches every app; a sign-in
 * as someone else, a password change and a password reset tell the apps of
 * the sessions they ended. Each test has its own two relying parties, whose
 * back-channel logout URIs lead to a receiver in the test.
 */

const VERIFIER = randomBytes(32).toString("base64url");
const CHALLENGE = createHash("sha256").update(VERIFIER).digest("base64url");
const STRONG = "plum quartz lantern 42";

interface RelyingParty {
  id: string;
  secret: string;
  redirectUri: string;
  postLogoutUri: string;
}

/** A back-channel logout receiver: every logout token, verified, with the client it came to. */
class Receiver {
  readonly received: Array<{ client: string; token: string }> = [];
  private readonly server: Server;
  url = "";

  constructor() {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        const client = decodeURIComponent((req.url ?? "").replace(/^\/bc\//, ""));
        this.received.push({ client, token: new URLSearchParams(body).get("logout_token") ?? "" });
        res.writeHead(200).end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  /** Waits for `count` tokens in all, then answers them verified (issuer, signature, audience). */
  async tokens(baseURL: string, count: number): Promise<Array<{ client: string } & JWTPayload>> {
    await expect.poll(() => this.received.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(count);
    const keys = createRemoteJWKSet(new URL(`${baseURL}/.well-known/jwks.json`));
    return Promise.all(
      this.received.map(async ({ client, token }) => {
        const { payload } = await jwtVerify(token, keys, {
          issuer: baseURL,
          audience: client,
          typ: "logout+jwt",
        });
        return { client, ...payload };
      }),
    );
  }

  /** No more than `count` tokens arrive within a while. */
  async expectNoMoreThan(count: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(this.received).toHaveLength(count);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function registerRelyingParty(
  baseURL: string,
  otherSite: OtherSite,
  receiver: Receiver,
  name: string,
): Promise<RelyingParty> {
  const rp = {
    id: `session-ends-${name}-${randomBytes(6).toString("hex")}`,
    secret: randomBytes(24).toString("base64url"),
    redirectUri: `${otherSite.url}callback`,
    postLogoutUri: `${otherSite.url}bye`,
  };
  const created = await fetch(`${baseURL}/clients`, {
    method: "POST",
    headers: { authorization: `Bearer ${await adminToken(baseURL)}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: rp.id,
      client_secret: rp.secret,
      client_name: `Relying Party ${name}`,
      redirect_uris: [rp.redirectUri],
      post_logout_redirect_uris: [rp.postLogoutUri],
      backchannel_logout_uri: `${receiver.url}/bc/${encodeURIComponent(rp.id)}`,
      backchannel_logout_session_required: true,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      scope: "openid profile email",
    }),
  });
  expect(created.status).toBe(201);
  return rp;
}

const test = base.extend<{ receiver: Receiver; rp1: RelyingParty; rp2: RelyingParty }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  receiver: async ({}, use) => {
    const receiver = new Receiver();
    await receiver.start();
    await use(receiver);
    await receiver.stop();
  },
  rp1: async ({ baseURL, otherSite, receiver }, use) => {
    otherSite.serve("<!doctype html><title>relying party</title><p>back at the app</p>");
    await use(await registerRelyingParty(baseURL!, otherSite, receiver, "one"));
  },
  rp2: async ({ baseURL, otherSite, receiver }, use) => {
    await use(await registerRelyingParty(baseURL!, otherSite, receiver, "two"));
  },
});

function authorizeUrl(rp: RelyingParty, params: Record<string, string> = {}): string {
  return `/oauth2/auth?${new URLSearchParams({
    response_type: "code",
    client_id: rp.id,
    redirect_uri: rp.redirectUri,
    scope: "openid profile email",
    state: `state-${randomBytes(6).toString("hex")}`,
    nonce: `nonce-${randomBytes(6).toString("hex")}`,
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...params,
  })}`;
}

/** At the relying party's callback: exchanges the code; the ID token and its claims. */
async function idTokenAtCallback(
  page: Page,
  baseURL: string,
  rp: RelyingParty,
): Promise<{ idToken: string; sid: string; sub: string }> {
  await expect(page).toHaveURL(/\/callback\?/);
  const code = new URL(page.url()).searchParams.get("code") ?? "";
  const response = await fetch(`${baseURL}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${rp.id}:${rp.secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: rp.redirectUri,
      code_verifier: VERIFIER,
    }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const { id_token: idToken } = (await response.json()) as { id_token: string };
  const claims = decodeJwt(idToken);
  return { idToken, sid: claims.sid as string, sub: claims.sub as string };
}

/** The person signs in to the relying party (signing in to Portico first if the page asks), allowing it. */
async function signInTo(
  page: Page,
  pages: { loginPage: LoginPage; consentPage: ConsentPage },
  baseURL: string,
  rp: RelyingParty,
  user: TestUser,
  params: Record<string, string> = {},
) {
  await page.goto(authorizeUrl(rp, params));
  await expect(page).toHaveURL(/\/login|\/consent\/ask/);
  if (page.url().includes("/login")) {
    await pages.loginPage.email.fill(user.email);
    await pages.loginPage.password.fill(user.password);
    await pages.loginPage.signInButton.click();
  }
  await pages.consentPage.expectShown();
  await pages.consentPage.allow();
  return idTokenAtCallback(page, baseURL, rp);
}

/** A browser of its own (its own cookies and address). */
async function anotherBrowser(browser: Browser, baseURL: string | undefined, address: string) {
  const context = await browser.newContext({ baseURL, extraHTTPHeaders: { "x-forwarded-for": address } });
  return { page: await context.newPage(), close: () => context.close() };
}

async function expectSignedIn(page: Page, email: string): Promise<void> {
  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await expect(page.getByText(email).first()).toBeVisible();
}

async function expectSignedOut(page: Page): Promise<void> {
  await page.goto("/account");
  await new LoginPage(page).expectShown();
}

/** The logout tokens as (client, sub, sid), in a stable order. */
function summary(tokens: Array<{ client: string } & JWTPayload>): string[] {
  return tokens.map((t) => `${t.client} ${t.sub} ${t.sid}`).sort();
}

test.describe("RP-initiated sign-out from a browser where nobody is signed in", () => {
  test("ends the session the hint names, wherever it is, and the apps it signed in to are told", async ({
    page,
    browser,
    baseURL,
    loginPage,
    consentPage,
    user,
    receiver,
    rp1,
    rp2,
    db,
  }) => {
    const one = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    const two = await signInTo(page, { loginPage, consentPage }, baseURL!, rp2, user);
    expect(two.sid).toBe(one.sid);

    const elsewhere = await anotherBrowser(browser, baseURL, "198.19.8.1");
    const seen = recordNavigations(elsewhere.page);
    await elsewhere.page.goto(
      `/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: one.idToken })}`,
    );
    await new SignOutPages(elsewhere.page).expectSignedOut();
    expect(seen).not.toContain("/logout/confirm");
    await elsewhere.close();

    const tokens = await receiver.tokens(baseURL!, 2);
    expect(summary(tokens)).toEqual(
      summary([
        { client: rp1.id, sub: user.id, sid: one.sid },
        { client: rp2.id, sub: user.id, sid: one.sid },
      ]),
    );
    // The session the apps were told of really ended: the person's browser is signed out.
    expect(await db.session.count({ where: { sid: one.sid } })).toBe(0);
    await expectSignedOut(page);
    await receiver.expectNoMoreThan(2);
  });

  test("when the hint's session has already ended, nothing ends and nobody is told", async ({
    page,
    browser,
    baseURL,
    loginPage,
    consentPage,
    accountPage,
    user,
    receiver,
    rp1,
  }) => {
    const { idToken, sid } = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    // The person is also signed in in another browser (another session, not the hint's).
    const other = await anotherBrowser(browser, baseURL, "198.19.8.2");
    const otherLogin = new LoginPage(other.page);
    await otherLogin.goto();
    await otherLogin.signIn(user.email, user.password);
    await expect(other.page).toHaveURL(/\/account$/);

    await accountPage.goto();
    await accountPage.signOutButton.click();
    await expect(page.getByText("You have signed out.")).toBeVisible();
    const [signedOut] = await receiver.tokens(baseURL!, 1);
    expect(signedOut).toMatchObject({ client: rp1.id, sub: user.id, sid });

    const elsewhere = await anotherBrowser(browser, baseURL, "198.19.8.3");
    await elsewhere.page.goto(`/oauth2/sessions/logout?${new URLSearchParams({ id_token_hint: idToken })}`);
    await new SignOutPages(elsewhere.page).expectSignedOut();
    await elsewhere.close();
    await receiver.expectNoMoreThan(1);
    await expectSignedIn(other.page, user.email);
    await other.close();
  });

  test("someone else signed in is still asked, and Sign out ends only their own session", async ({
    page,
    browser,
    baseURL,
    loginPage,
    consentPage,
    user,
    otherUser,
    receiver,
    rp1,
  }) => {
    const { idToken } = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    const elsewhere = await anotherBrowser(browser, baseURL, "198.19.8.4");
    const otherLogin = new LoginPage(elsewhere.page);
    await otherLogin.goto();
    await otherLogin.signIn(otherUser.email, otherUser.password);
    await expect(elsewhere.page).toHaveURL(/\/account$/);

    const signOut = new SignOutPages(elsewhere.page);
    await signOut.startAtEndSession({ id_token_hint: idToken });
    await signOut.expectConfirmation();
    await expect(elsewhere.page.getByText(otherUser.email)).toBeVisible();
    await signOut.confirm();
    await signOut.expectSignedOut();
    await expectSignedOut(elsewhere.page);
    await elsewhere.close();

    await expectSignedIn(page, user.email);
    await receiver.expectNoMoreThan(0);
  });
});

test.describe("sessions that end, or go on, without a sign-out", () => {
  test("prompt=login keeps the session's sid (not its secret id), so a later sign-out reaches both apps", async ({
    page,
    baseURL,
    otherSite,
    loginPage,
    consentPage,
    user,
    receiver,
    rp1,
    rp2,
    db,
  }) => {
    const one = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    const [before] = await db.session.findMany({ where: { userId: user.id } });

    await page.goto(authorizeUrl(rp2, { prompt: "login" }));
    await loginPage.expectShown();
    await expect(page.getByText("The app asks you to sign in again.")).toBeVisible();
    await loginPage.password.fill(user.password);
    await loginPage.signInButton.click();
    await consentPage.expectShown();
    await consentPage.allow();
    const two = await idTokenAtCallback(page, baseURL!, rp2);
    expect(two.sid).toBe(one.sid);
    const after = await db.session.findMany({ where: { userId: user.id } });
    expect(after).toHaveLength(1);
    expect(after[0]!.id).not.toBe(before!.id);
    expect(after[0]!.authTime.getTime()).toBeGreaterThan(before!.authTime.getTime());
    await receiver.expectNoMoreThan(0);

    otherSite.serve("<!doctype html><title>signed out</title><p>signed out of the app</p>");
    await page.goto(
      `/oauth2/sessions/logout?${new URLSearchParams({
        id_token_hint: two.idToken,
        post_logout_redirect_uri: rp2.postLogoutUri,
        state: "bye-state",
      })}`,
    );
    await expect(page).toHaveURL(/\/bye\?state=bye-state$/);
    const tokens = await receiver.tokens(baseURL!, 2);
    expect(summary(tokens)).toEqual(
      summary([
        { client: rp1.id, sub: user.id, sid: one.sid },
        { client: rp2.id, sub: user.id, sid: one.sid },
      ]),
    );
    await expectSignedOut(page);
  });

  test("signing in as someone else in the same browser ends the first person's session, and its apps are told", async ({
    page,
    baseURL,
    loginPage,
    consentPage,
    user,
    otherUser,
    receiver,
    rp1,
  }) => {
    const first = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    const second = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, otherUser, {
      prompt: "login",
    });
    expect(second.sub).toBe(otherUser.id);
    expect(second.sid).not.toBe(first.sid);
    const [token] = await receiver.tokens(baseURL!, 1);
    expect(token).toMatchObject({ client: rp1.id, sub: user.id, sid: first.sid });
    await receiver.expectNoMoreThan(1);
  });

  test("Confirm password keeps the sid and tells nobody", async ({
    page,
    baseURL,
    loginPage,
    consentPage,
    user,
    receiver,
    rp1,
    db,
  }) => {
    const { sid } = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    await db.session.updateMany({
      where: { userId: user.id },
      data: { authTime: new Date(Date.now() - 11 * 60_000) },
    });
    await page.goto("/account");
    await new AccountSettings(page).confirmPassword(user.password);
    await expect(page.getByText("You can change your account for the next 10 minutes.")).toBeVisible();
    const sessions = await db.session.findMany({ where: { userId: user.id } });
    expect(sessions.map((session) => session.sid)).toEqual([sid]);
    await receiver.expectNoMoreThan(0);
  });

  test("a password change tells the apps of the other sessions it ended, not of this one", async ({
    page,
    browser,
    baseURL,
    loginPage,
    consentPage,
    user,
    receiver,
    rp1,
    rp2,
  }) => {
    const there = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    const here = await anotherBrowser(browser, baseURL, "198.19.8.5");
    const herePages = { loginPage: new LoginPage(here.page), consentPage: new ConsentPage(here.page) };
    const mine = await signInTo(here.page, herePages, baseURL!, rp2, user);
    expect(mine.sid).not.toBe(there.sid);

    await here.page.goto("/account");
    await new AccountSettings(here.page).changePassword(user.password, STRONG);
    await expect(here.page.getByText("Your password was changed.")).toBeVisible();
    const [token] = await receiver.tokens(baseURL!, 1);
    expect(token).toMatchObject({ client: rp1.id, sub: user.id, sid: there.sid });
    await receiver.expectNoMoreThan(1);
    await expectSignedOut(page);
    await expectSignedIn(here.page, user.email);
    await here.close();
  });

  test("a password reset tells every app the person signed in to", async ({
    page,
    browser,
    baseURL,
    loginPage,
    consentPage,
    user,
    inbox,
    receiver,
    rp1,
    rp2,
  }) => {
    const { sid } = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, user);
    await signInTo(page, { loginPage, consentPage }, baseURL!, rp2, user);

    const resetting = await anotherBrowser(browser, baseURL, "198.19.8.6");
    await resetting.page.goto("/forgot-password");
    await new ForgotPasswordPage(resetting.page).request(user.email);
    const link = linkIn(await inbox.receive(user.email), `${baseURL}/reset-password?token=`);
    await resetting.page.goto(link);
    await new ResetPasswordPage(resetting.page).reset(STRONG);
    await expect(
      resetting.page.getByText("Your password was changed. Sign in with your new password."),
    ).toBeVisible();
    await resetting.close();

    const tokens = await receiver.tokens(baseURL!, 2);
    expect(summary(tokens)).toEqual(
      summary([
        { client: rp1.id, sub: user.id, sid },
        { client: rp2.id, sub: user.id, sid },
      ]),
    );
    await expectSignedOut(page);
  });

  test("a password reset in a browser where someone else is signed in tells that person's apps", async ({
    page,
    baseURL,
    loginPage,
    consentPage,
    user,
    otherUser,
    inbox,
    receiver,
    rp1,
  }) => {
    // Olly is signed in to an app in this browser; Tess opens her reset link here (a shared computer).
    const olly = await signInTo(page, { loginPage, consentPage }, baseURL!, rp1, otherUser);
    await page.goto("/forgot-password");
    await new ForgotPasswordPage(page).request(user.email);
    await page.goto(linkIn(await inbox.receive(user.email), `${baseURL}/reset-password?token=`));
    await new ResetPasswordPage(page).reset(STRONG);
    await expect(page.getByText("Your password was changed. Sign in with your new password.")).toBeVisible();

    // Olly's session here ended with it, so the app he signed in to through it is told.
    const [token] = await receiver.tokens(baseURL!, 1);
    expect(token).toMatchObject({ client: rp1.id, sub: otherUser.id, sid: olly.sid });
    await receiver.expectNoMoreThan(1);
    await expectSignedOut(page);
  });
});
