import { expect, test } from "./fixtures.ts";
import { expectAnsweredAlready, expectAnsweredMeanwhile } from "./pages/answered.ts";
import { DemoApp } from "./pages/demo.ts";

test.describe("consent requests that cannot be used", () => {
  test("an expired request shows a clear error page with a way back", async ({
    consentShown: consentPage,
    db,
  }) => {
    const id = consentPage.consentId();

    // Let the request expire without waiting for it.
    await db.consentRequest.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });

    // Deciding on the page that is still open is refused in place…
    await consentPage.allow();
    await expect(consentPage.alert).toContainText("expired");

    // …and opening it again shows the error page.
    await consentPage.page.reload();
    const page = consentPage.page;
    await expect(page.getByRole("heading", { name: "This sign-in request has expired" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Go to your account" })).toBeVisible();
    await expect(page.locator("body")).not.toContainText("undefined");
  });

  test("an unknown request shows the not-found error page", async ({ page, loginPage, user }) => {
    await loginPage.goto();
    await loginPage.signIn(user.email, user.password);
    await expect(page).toHaveURL(/\/account$/);
    await page.goto("/consent?consent=no-such-request");
    await expect(page.getByRole("heading", { name: "We could not find this sign-in request" })).toBeVisible();
    await expect(page.getByText(/quote reference [0-9a-f]{8}/)).toBeVisible();
  });

  test("a request answered already cannot be answered again", async ({
    demo,
    consentShown: consentPage,
    user,
  }) => {
    const url = consentPage.page.url();
    await consentPage.allow();
    await demo.expectSignedIn(user.email);

    await consentPage.page.goto(url);
    await expect(
      consentPage.page.getByRole("heading", { name: "This sign-in request was already answered" }),
    ).toBeVisible();
  });

  test("Back after consent: the page says it was answered and offers the way back to the app", async ({
    demo,
    consentShown: consentPage,
    user,
    baseURL,
  }) => {
    await consentPage.allow();
    await demo.expectSignedIn(user.email);

    // The browser's Back from the app lands on the consent screen again.
    const page = consentPage.page;
    await page.goBack();
    await expect(page).toHaveURL(/\/consent\/ask\?consent=/);
    // The demo app registered its own address (client_uri) and name: the way back to it.
    const back = await expectAnsweredAlready(page, demo.link(baseURL!));
    await back.click();
    await demo.expectSignedIn(user.email);
  });

  test("answered in another tab meanwhile: the refusal on the open screen offers the way back to the app", async ({
    context,
    demo,
    consentShown: consentPage,
    user,
    baseURL,
  }) => {
    // The same request, opened in a second tab and allowed there.
    const otherTab = await context.newPage();
    await otherTab.goto(consentPage.page.url());
    await otherTab.getByRole("button", { name: "Allow access" }).click();
    await new DemoApp(otherTab).expectSignedIn(user.email);

    // The first tab still shows the form: another answer is refused in place, with the way back.
    await consentPage.deny();
    const back = await expectAnsweredMeanwhile(consentPage.alert, demo.link(baseURL!));
    await back.click();
    await demo.expectSignedIn(user.email);
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("a form submitted twice leads on to the app both times; once used, it is answered already", async ({
      demo,
      consentShown: consentPage,
      user,
    }) => {
      const page = consentPage.page;
      const url = page.url();
      // What the browser posts for Allow access, sent twice before it follows either answer.
      const entries = await page
        .locator("form")
        .filter({ has: consentPage.allowButton })
        .evaluate((form) => [...new FormData(form as HTMLFormElement).entries()] as [string, string][]);
      const submit = () => {
        const form = new FormData();
        for (const [name, value] of entries) form.append(name, value);
        form.append("decision", "allow");
        return page.request.post(url, { multipart: form, maxRedirects: 0 });
      };
      const first = await submit();
      const second = await submit();
      expect(first.status()).toBe(303);
      expect(second.status()).toBe(303);
      expect(second.headers().location).toBe(first.headers().location);

      await page.goto(second.headers().location!);
      await demo.expectSignedIn(user.email);

      const third = await submit();
      expect(await third.text()).toContain("This sign-in request was already answered.");
    });
  });

  test("a consent link without a request id says so", async ({ page }) => {
    await page.goto("/consent");
    await expect(page.getByRole("heading", { name: "This link is incomplete" })).toBeVisible();
  });

  test("signing in first returns to the same request", async ({
    page,
    loginPage,
    consentPage,
    user,
    demo,
  }) => {
    await demo.startSignIn();
    await loginPage.expectShown();
    const id = new URL(page.url()).searchParams.get("consent");
    await loginPage.signIn(user.email, user.password);
    await consentPage.expectShown();
    expect(consentPage.consentId()).toBe(id);
  });
});
