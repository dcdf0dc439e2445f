import { cspViolations, expect, signInThroughDemo, test } from "./fixtures.ts";

test.describe("security of the login and consent pages", () => {
  test.describe(() => {
    test.use({ expectedCspViolations: /frame-ancestors 'none'/ });

    test("the pages refuse to be framed", async ({ page, baseURL, demo, loginPage, otherSite }) => {
      await demo.startSignIn();
      await loginPage.expectShown();
      const loginUrl = page.url();
      const consentUrl = `${baseURL}/consent?consent=any`;
      // The frame's URL is "" or about:blank until its navigation commits: wait for the one expected.
      const framed = async (target: string, commits: string | RegExp, what: string) => {
        otherSite.serve(`<h1>Win a prize</h1><iframe src="${target}"></iframe>`);
        await page.goto(otherSite.url);
        const frame = () => page.frames().find((candidate) => candidate !== page.mainFrame());
        const url = expect.poll(() => frame()?.url() ?? "", { message: what });
        await (typeof commits === "string" ? url.toBe(commits) : url.toMatch(commits));
        return frame()!;
      };

      // Control: a document of the server that may be framed (the API's discovery JSON; pages and
      // files may not) shows up in the frame.
      const discovery = `${baseURL}/.well-known/openid-configuration`;
      await framed(discovery, discovery, "the discovery document is framed");

      for (const target of [loginUrl, consentUrl]) {
        const response = await page.request.get(target);
        expect(response.headers()["x-frame-options"]).toBe("DENY");
        expect(response.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");

        const frame = await framed(
          target,
          /^chrome-error:/,
          "Chromium replaced the refused page with its error page",
        );
        await expect(frame.getByRole("button", { name: "Sign in" })).toHaveCount(0);
      }
    });
  });

  test("responses carry the security headers and a per-response CSP nonce", async ({ page }) => {
    const first = await page.request.get("/login");
    const second = await page.request.get("/login");
    const headers = first.headers();
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["cache-control"]).toContain("no-store");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    const csp = headers["content-security-policy"] ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    const nonce = (value: string | undefined) => /'nonce-([^']+)'/.exec(value ?? "")?.[1];
    expect(nonce(csp)).not.toBe(nonce(second.headers()["content-security-policy"]));

    const cookie = headers["set-cookie"] ?? "";
    expect(cookie).toMatch(/^portico-session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=lax/i);
  });

  test("pages, which carry the CSRF token, are never compressed (BREACH); build assets are", async ({
    page,
  }) => {
    const gzip = { "accept-encoding": "gzip, deflate, br" };
    const login = await page.request.get("/login?login_hint=someone%40example.com", { headers: gzip });
    expect(login.headers()["content-encoding"]).toBeUndefined();
    expect(await login.text()).toContain('name="csrf"');
    const script = /<script src="(\/_next\/static\/[^"]+\.js)"/.exec(await login.text())?.[1];
    expect(script).toBeDefined();
    const asset = await page.request.get(script as string, { headers: gzip });
    expect(asset.headers()["content-encoding"]).toMatch(/gzip|br|deflate/);
  });

  test("a copy of the sign-in form on another site cannot sign anyone in", async ({
    page,
    browser,
    baseURL,
    user,
    loginPage,
    otherSite,
  }) => {
    // The attacker copies the real form (action id and a CSRF token) into a page on their own site.
    const noScript = await browser.newContext({ javaScriptEnabled: false, baseURL });
    const source = await noScript.newPage();
    await source.goto("/login");
    const form = await source.locator("form").evaluate((element) => element.outerHTML);
    await noScript.close();

    otherSite.serve(form.replace(/ action=""/, "").replace("<form", `<form action="${baseURL}/login"`));
    await page.goto(otherSite.url);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    const answer = page.waitForResponse((response) => response.request().method() === "POST");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect((await answer).status(), "a form post from another site is refused with 403").toBe(403);

    await page.goto("/account");
    await loginPage.expectShown();
  });

  test("no page of the whole flow breaks its Content-Security-Policy", async ({
    demo,
    loginPage,
    consentPage,
    user,
  }) => {
    // The cspGuard fixture fails the test on any violation the browser reports.
    await signInThroughDemo({ demo, loginPage, consentPage }, user);
  });

  test.describe("the CSP guard itself", () => {
    // The violation this test provokes is let through the guard of the test itself, and caught by the
    // same collector the guard uses: it must see that violation, and no other.
    test.use({ expectedCspViolations: /127\.0\.0\.1:9\/forbidden/ });

    test("catches a page that connects where its policy forbids", async ({ page, loginPage }) => {
      const caught = cspViolations(page);
      await page.goto("/login");
      await loginPage.expectShown();
      expect(caught).toEqual([]);
      // connect-src is 'self': the browser refuses this request and reports the violation.
      await page.evaluate(() => fetch("http://127.0.0.1:9/forbidden").catch(() => undefined));
      // Chromium reports it twice (the policy's refusal, then the fetch's): each names the request.
      await expect.poll(() => caught.length).toBeGreaterThan(0);
      for (const violation of caught) expect(violation).toMatch(/127\.0\.0\.1:9\/forbidden/);
    });
  });
});
