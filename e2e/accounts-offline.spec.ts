import { createServer, type Server, type Socket } from "node:net";
import { createDatabase } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { freePort } from "@/tests/support/ports.ts";
import { type Portico, startPortico } from "@/tests/support/server.ts";
import { expect, test } from "./fixtures.ts";
import { ForgotPasswordPage } from "./pages/accounts.ts";
import { LoginPage } from "./pages/login.ts";

/**
 * A second server of its own: sign-up closed, and a mail server that is
 * down (nothing listens at SMTP_URL).
 */
test.describe("sign-up closed, mail server down", () => {
  let portico: Portico;

  test.beforeAll(async () => {
    portico = await startPortico({
      compiled: true,
      env: { SIGNUP: "closed", SMTP_URL: `smtp://127.0.0.1:${await freePort()}`, TRUST_PROXY: "1" },
    });
  });
  test.afterAll(async () => {
    await portico.stop();
  });

  test("the sign-in page has no sign-up link, and /signup says sign-up is closed", async ({ page }) => {
    await page.goto(`${portico.url}/login`);
    await new LoginPage(page).expectShown();
    await expect(page.getByRole("link", { name: "Forgot password?" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Create an account" })).toHaveCount(0);
    await page.goto(`${portico.url}/signup`);
    await expect(page.getByRole("heading", { name: "Sign-up is closed" })).toBeVisible();
    // The tab, which a screen reader says first, says so too (WCAG 2.4.2), not "Create an account".
    await expect(page).toHaveTitle("Sign-up is closed · Portico");
    await expect(page.getByRole("button", { name: "Create account" })).toHaveCount(0);
  });

  test("prompt=create with sign-up closed leads to the sign-in page", async ({ page }) => {
    const token = await portico.rootToken("hydra.clients");
    const created = await portico.call("/clients", {
      token,
      json: {
        id: "closed-signup-app",
        client_name: "Closed Sign-up App",
        redirect_uris: ["https://app.example.test/callback"],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        scope: "openid",
        public: true,
      },
    });
    expect(created.status).toBe(201);
    const auth = new URL(`${portico.url}/oauth2/auth`);
    auth.search = new URLSearchParams({
      response_type: "code",
      client_id: "closed-signup-app",
      redirect_uri: "https://app.example.test/callback",
      scope: "openid",
      state: "state-of-the-app-123",
      nonce: "nonce-of-the-app-123",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
      prompt: "create",
    }).toString();
    await page.goto(auth.toString());
    await expect(page).toHaveURL(/\/login\?consent=/);
    await expect(page.getByText("to continue to Closed Sign-up App")).toBeVisible();
  });

  test("a mail server that is down: the person is told to try again, and the log says why", async ({
    page,
  }) => {
    await page.goto(`${portico.url}/forgot-password`);
    const forgot = new ForgotPasswordPage(page);
    await forgot.request("someone@example.com");
    await expect(forgot.alert).toHaveText("We could not send the email. Please try again in a moment.");
    await expect(page).toHaveURL(/\/forgot-password$/);
    await expect(forgot.email).toHaveValue("someone@example.com");
    const reasonLogged = () =>
      portico
        .output()
        .split("\n")
        .some((line) => line.includes("could not send an email") && line.includes("ECONNREFUSED"));
    await expect.poll(reasonLogged).toBe(true);
  });
});

/**
 * A mail server that greets, then answers EHLO a line at a time and never
 * finishes: never silent long enough for a phase timeout. SMTP_TIMEOUT ends
 * each email: the person hears the same as for a server that is down,
 * whether or not the address has an account.
 */
test.describe("a mail server that trickles", () => {
  let portico: Portico;
  let smtp: Server;
  const sockets = new Set<Socket>();
  const person = { email: "trickled@example.com", password: "trickled-password-0123", name: "Trickled" };

  test.beforeAll(async () => {
    smtp = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
      let timer: NodeJS.Timeout | undefined;
      socket.on("close", () => {
        clearInterval(timer);
        sockets.delete(socket);
      });
      socket.write("220 trickle.example.test ESMTP\r\n");
      socket.once("data", () => {
        timer = setInterval(() => socket.write("250-trickle.example.test\r\n"), 200);
      });
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const port = (smtp.address() as { port: number }).port;
    portico = await startPortico({
      compiled: true,
      env: { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_TIMEOUT: "2s" },
    });
    const db = createDatabase(portico.databaseUrl);
    await new UserStore(db).create(person);
    await db.$disconnect();
  });
  test.afterAll(async () => {
    await portico?.stop();
    for (const socket of sockets) socket.destroy();
    smtp?.close();
  });

  test("forgot password: the page answers, the same for an account and for none", async ({ page }) => {
    const forgot = new ForgotPasswordPage(page);
    for (const email of [person.email, "no-account-here@example.com"]) {
      await page.goto(`${portico.url}/forgot-password`);
      await forgot.request(email);
      await expect(forgot.alert).toHaveText("We could not send the email. Please try again in a moment.");
      await expect(page).toHaveURL(/\/forgot-password$/);
    }
    expect(portico.output()).toContain("the message took longer than 2000 ms");
  });
});
