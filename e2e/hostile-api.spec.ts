import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDatabase } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { type Portico, startPortico } from "@/tests/support/server.ts";
import { expect, test } from "./fixtures.ts";
import { LoginPage } from "./pages/login.ts";

/** How many apps the odd server says the person let in: the most the app reads. */
const APPS = 500;

/**
 * A server of its own whose consent app talks to an API server this test
 * plays (HYDRA_URL): one that answers with more than any real server would.
 */
test.describe("an API server that answers too much", () => {
  let api: Server;
  let portico: Portico;
  const person = { email: "many-apps@example.com", password: "many-apps-password-0123" };
  const lookups = { total: 0, now: 0, most: 0 };

  test.beforeAll(async () => {
    api = createServer((request, response) => {
      const path = new URL(request.url ?? "/", "http://api").pathname;
      const json = (body: unknown) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      if (path === "/oauth2/token")
        return json({ access_token: "t", token_type: "bearer", expires_in: 3600 });
      if (path.startsWith("/oauth2/auth/sessions/consent/")) {
        return json(
          Array.from({ length: APPS }, (_, index) => ({
            client_id: `app-${index}`,
            scope: "openid",
            granted_at: "2026-01-01T00:00:00Z",
          })),
        );
      }
      const client = path.match(/^\/clients\/(.+)$/)?.[1];
      if (client) {
        lookups.total += 1;
        lookups.now += 1;
        lookups.most = Math.max(lookups.most, lookups.now);
        // Answered a moment later, so look-ups the page runs at once overlap here.
        setTimeout(() => {
          lookups.now -= 1;
          json({ id: decodeURIComponent(client), client_name: `App ${decodeURIComponent(client)}` });
        }, 5);
        return;
      }
      if (path === "/oauth2/consent/requests/flood") {
        // An answer without end: the app must stop reading it, not buffer it.
        response.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!response.destroyed && response.write(chunk));
          if (!response.destroyed) response.once("drain", pump);
        };
        return pump();
      }
      if (path === "/oauth2/consent/requests/many-scopes") {
        return json({
          id: "many-scopes",
          audience: "app-1",
          requestedScopes: Array.from({ length: 50_000 }, (_, index) => `s${index}`),
          redirectUrl: `${portico.url}/oauth2/auth?consent=many-scopes`,
        });
      }
      // A server that takes the request and never answers it.
      if (path === "/oauth2/consent/requests/silent") return;
      if (path === "/oauth2/logout/requests/garbled") {
        response.writeHead(200, { "content-type": "application/json" });
        return response.end('{"not":"a logout request"');
      }
      response.writeHead(404, { "content-type": "application/json" });
      response.end("{}");
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    portico = await startPortico({
      compiled: true,
      env: {
        HYDRA_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
        HYDRA_CLIENT_ID: "consent-app",
        HYDRA_CLIENT_SECRET: "consent-app-secret",
        HYDRA_TIMEOUT: "2s",
      },
    });
    const db = createDatabase(portico.databaseUrl);
    await new UserStore(db).create({ ...person, name: "Many Apps" });
    await db.$disconnect();
  });
  test.afterAll(async () => {
    await portico?.stop();
    api?.closeAllConnections();
    api?.close();
  });

  async function signIn(page: import("@playwright/test").Page): Promise<void> {
    await page.goto(`${portico.url}/login`);
    await new LoginPage(page).signIn(person.email, person.password);
    await expect(page).toHaveURL(/\/account$/);
  }

  test("the account page lists every app, looking them up a few at a time", async ({ page }) => {
    await signIn(page);
    const apps = page.getByRole("list", { name: "Apps you let in" }).getByRole("listitem");
    await expect(apps).toHaveCount(APPS);
    await expect(apps.filter({ hasText: "App app-499" })).toHaveCount(1);
    expect(lookups.total).toBeGreaterThanOrEqual(APPS);
    // Before: one connection per app, all at once (500 here; as many as the server listed).
    expect(lookups.most).toBeLessThanOrEqual(8);
  });

  test("a consent request whose answer never ends is a clear error page, a 502 (not a crash)", async ({
    page,
  }) => {
    await signIn(page);
    const response = await page.goto(`${portico.url}/consent/ask?consent=flood`);
    expect(response?.status()).toBe(502);
    await expect(page.getByRole("heading", { name: "Something went wrong on our side" })).toBeVisible();
    expect(portico.output()).toContain("the answer is over");
  });

  test("a consent request naming thousands of scopes is a clear error page, not a page of megabytes", async ({
    page,
  }) => {
    await signIn(page);
    const response = await page.goto(`${portico.url}/consent/ask?consent=many-scopes`);
    expect(response?.status()).toBe(502);
    await expect(page.getByRole("heading", { name: "Something went wrong on our side" })).toBeVisible();
  });

  test("a consent request the server never answers: one wait, then a 504 page that says so; Try again asks again", async ({
    page,
  }) => {
    await signIn(page);
    const response = await page.goto(`${portico.url}/consent?consent=silent`);
    expect(response?.status()).toBe(504);
    await expect(page).toHaveURL(/\/consent\/ask\?consent=silent&failed=unreachable\.504\.[0-9a-f]{8}$/);
    await expect(page.getByRole("heading", { name: "We cannot reach the sign-in service" })).toBeVisible();
    await expect(page.getByText(/quote reference [0-9a-f]{8}/)).toBeVisible();
    await page.getByRole("link", { name: "Try again" }).click();
    await expect(page).toHaveURL(/\/consent\/ask\?consent=silent&failed=unreachable\.504\.[0-9a-f]{8}$/);
    await expect(page.getByRole("heading", { name: "We cannot reach the sign-in service" })).toBeVisible();
  });

  test("a sign-out request the server answers with garbage is said so, with a reference in the log", async ({
    page,
  }) => {
    await page.goto(`${portico.url}/logout/confirm?logout=garbled`);
    const alert = page.getByRole("alert");
    await expect(alert).toContainText("Something went wrong on our side");
    const reference = /reference ([0-9a-f]{8})/.exec((await alert.textContent()) ?? "")?.[1];
    expect(reference).toBeTruthy();
    expect(portico.output()).toContain(reference);
    // An unknown one is not the server's fault.
    await page.goto(`${portico.url}/logout/confirm?logout=unknown`);
    await expect(page.getByRole("alert")).toContainText("already used or has expired");
  });
});
