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

test.describe("odd posts and paths get a 4xx with the security headers, never a 500", () => {
  /** The id of the sign-in form's server action, as the page's HTML carries it. */
  async function signInActionId(request: import("@playwright/test").APIRequestContext): Promise<string> {
    const html = await (await request.get("/login")).text();
    const id = /&quot;id&quot;:&quot;([0-9a-f]{20,})&quot;/.exec(html)?.[1];
    expect(id, "the sign-in form's action id").toBeTruthy();
    return id as string;
  }

  test("a server action called with anything but form data is refused, not a 500", async ({ page }) => {
    const id = await signInActionId(page.request);
    for (const data of ['[{"status":"idle"},"x"]', "[null,null]", '["$K1",5]']) {
      const response = await page.request.post("/login", {
        headers: { "next-action": id, "content-type": "text/plain;charset=UTF-8" },
        data,
        maxRedirects: 0,
      });
      expect(response.status(), data).toBe(200);
      expect(await response.text(), data).toContain("This form could not be read");
    }
    // The one-argument post of a plain form action: the form data arrives as the "previous state".
    const response = await page.request.post("/login", {
      multipart: { [`$ACTION_ID_${id}`]: "", email: "a@example.com", password: "x" },
      maxRedirects: 0,
    });
    expect(response.status()).toBeLessThan(500);
  });

  test("a server action's body that Next.js cannot decode is a 400, not a 500", async ({
    page,
    loginPage,
  }) => {
    const id = await signInActionId(page.request);
    const bodies: Array<{ headers?: Record<string, string>; multipart: Record<string, string> }> = [
      // As a script posts it (Next-Action header), with a reference React cannot resolve.
      { headers: { "next-action": id }, multipart: { "0": '["$Q9"]' } },
      // As a browser without JavaScript posts it, with the same in the action's bound arguments.
      {
        multipart: {
          $ACTION_REF_1: "",
          "$ACTION_1:0": JSON.stringify({ id, bound: "$Q9" }),
          "$ACTION_1:1": "[]",
        },
      },
    ];
    for (const { headers, multipart } of bodies) {
      const response = await page.request.post("/login", { headers, multipart, maxRedirects: 0 });
      expect(response.status(), JSON.stringify(multipart)).toBe(400);
      expect(await response.text()).toBe(
        "This form could not be read. Please reload the page and try again.\n",
      );
      expect(response.headers()["x-frame-options"]).toBe("DENY");
      expect(response.headers()["content-type"]).toContain("text/plain");
    }
    // The form itself still answers as it always does.
    await loginPage.goto();
    expect(await loginPage.signInExpectingError("nobody@example.com", "not the password")).toBeTruthy();
  });

  test("a form post over 1 MB is a 413, one without a length a 411", async ({ page, baseURL }) => {
    const big = await page.request.post("/login", {
      multipart: { email: "a@example.com", password: "x".repeat(1024 * 1024 + 1) },
      maxRedirects: 0,
    });
    expect(big.status()).toBe(413);
    expect(big.headers()["x-frame-options"]).toBe("DENY");
    // Just under the limit, the form answers as it always does: posted as a browser without
    // JavaScript posts it, with the page's hidden fields.
    await page.goto("/login");
    const hidden = await page
      .locator("form:has(input[name=password]) input[type=hidden]")
      .evaluateAll((inputs) =>
        inputs.map((input) => [(input as HTMLInputElement).name, (input as HTMLInputElement).value]),
      );
    const fits = await page.request.post("/login", {
      multipart: {
        ...Object.fromEntries(hidden),
        email: "a@example.com",
        password: "x".repeat(900 * 1024),
      },
      maxRedirects: 0,
    });
    expect(fits.status()).toBe(200);
    // A streamed body (chunked, no Content-Length): no browser form sends one.
    const chunked = await fetch(new URL("/login", baseURL), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new Blob(["email=a"]).stream(),
      duplex: "half",
      redirect: "manual",
    } as RequestInit);
    expect(chunked.status).toBe(411);
  });

  test("a missing file under an asset path is a 404 that cannot be framed", async ({ page }) => {
    for (const path of ["/brand/nope", "/_next/static/nope.js", "/_next/image?url=%2Fnope"]) {
      const response = await page.request.get(path, { maxRedirects: 0 });
      expect(response.status(), path).toBeGreaterThanOrEqual(400);
      expect(response.status(), path).toBeLessThan(500);
      expect(response.headers()["x-frame-options"], path).toBe("DENY");
      expect(response.headers()["content-security-policy"], path).toContain("frame-ancestors 'none'");
      expect(response.headers()["x-content-type-options"], path).toBe("nosniff");
    }
    // A real file keeps its own caching and type, with the same protections.
    const logo = await page.request.get("/demo/logo.svg");
    expect(logo.status()).toBe(200);
    expect(logo.headers()["content-type"]).toContain("image/svg+xml");
    expect(logo.headers()["x-frame-options"]).toBe("DENY");
    expect(logo.headers()["content-security-policy"]).toContain("script-src 'none'");
  });

  test("the demo's sign-in keeps an unparsable or foreign callbackUrl on this site", async ({
    page,
    baseURL,
  }) => {
    for (const callbackUrl of ["http://[::1", "%", "http://evil.example/", "//evil.example/x"]) {
      const { csrfToken } = (await (await page.request.get("/api/auth/csrf")).json()) as {
        csrfToken: string;
      };
      const response = await page.request.post("/api/auth/signin/portico", {
        form: { csrfToken, callbackUrl },
        maxRedirects: 0,
      });
      expect(response.status(), callbackUrl).toBe(302);
      // On to the server's authorization endpoint, as for any sign-in.
      expect(new URL(response.headers().location ?? "", baseURL).pathname, callbackUrl).toBe("/oauth2/auth");
    }
  });
});
