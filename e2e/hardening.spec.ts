import { expect, test } from "./fixtures.ts";

test.describe("hardening", () => {
  test("a signed-in person is never sent to another site by /login?next=", async ({
    page,
    loginPage,
    user,
    baseURL,
  }) => {
    await loginPage.goto();
    await loginPage.signIn(user.email, user.password);
    await expect(page).toHaveURL(/\/account$/);
    for (const next of [
      "/.//evil.example/x",
      "/..//evil.example/x",
      "/%2e//evil.example/x",
      "/a/..//evil.example/x",
      "/./\\evil.example/x",
    ]) {
      const response = await page.request.get(`/login?next=${encodeURIComponent(next)}`, {
        maxRedirects: 0,
      });
      const location = response.headers().location ?? "";
      expect(new URL(location, baseURL).origin, next).toBe(new URL(baseURL!).origin);
      await page.goto(`/login?next=${encodeURIComponent(next)}`);
      expect(new URL(page.url()).origin, next).toBe(new URL(baseURL!).origin);
    }
  });
});

test.describe("form posts from elsewhere (finding 11)", () => {
  test("a cross-site or opaque-origin server-action post gets 403, not a 500", async ({ page }) => {
    for (const headers of <Array<Record<string, string>>>[
      { origin: "https://evil.example", "next-action": "0123456789abcdef" },
      { origin: "null", "sec-fetch-site": "cross-site", "next-action": "0123456789abcdef" },
      { origin: "null", "next-action": "0123456789abcdef" },
      { "sec-fetch-site": "cross-site", "next-action": "0123456789abcdef" },
    ]) {
      const response = await page.request.post("/login", {
        headers: { ...headers, "content-type": "text/plain;charset=UTF-8" },
        data: "[]",
        maxRedirects: 0,
      });
      expect(response.status(), JSON.stringify(headers)).toBe(403);
    }
  });
});
