import { ACCOUNT_POLICY, delayAfter, PAIR_POLICY } from "@/lib/security/throttle.ts";
import { expect, test } from "./fixtures.ts";

const WRONG = "The email or password is incorrect.";

test.describe("signing in", () => {
  test("a wrong password and an unknown email get the same single alert, naming neither field", async ({
    loginPage,
    user,
  }) => {
    await loginPage.goto();
    const wrongPassword = await loginPage.signInExpectingError(user.email, "not-the-password");
    expect(wrongPassword).toBe(WRONG);
    await expect(loginPage.email).toHaveValue(user.email);
    await expect(loginPage.password).toHaveValue("");
    await expect(loginPage.email).not.toHaveAttribute("aria-invalid", "true");
    await expect(loginPage.password).not.toHaveAttribute("aria-invalid", "true");

    const unknownEmail = await loginPage.signInExpectingError("nobody-here@example.com", user.password);
    expect(unknownEmail).toBe(wrongPassword);
  });

  test("the right password signs in, and signing out ends the session", async ({
    loginPage,
    accountPage,
    user,
  }) => {
    await loginPage.goto();
    await loginPage.signIn(user.email, user.password);
    await expect(accountPage.page).toHaveURL(/\/account$/);
    await expect(accountPage.page.getByText(user.email)).toBeVisible();

    await accountPage.signOutButton.click();
    await expect(loginPage.page.getByText("You have signed out.")).toBeVisible();
    await accountPage.page.goto("/account");
    await loginPage.expectShown();
  });

  test("a form whose CSRF token is not the session's is refused", async ({ loginPage, user }) => {
    await loginPage.goto();
    await loginPage.page.locator('input[name="csrf"]').evaluate((input: HTMLInputElement) => {
      input.value = "a-token-from-another-session-aaaaaaaaaaaaaaaa";
    });
    await loginPage.signIn(user.email, user.password);
    await expect(loginPage.alert).toContainText("Please try again");
    await expect(loginPage.page).toHaveURL(/\/login$/);
  });

  test.describe("throttling", () => {
    /** Fast-forwards a throttle key to a state, instead of waiting through real delays. */
    async function setThrottle(
      db: import("@/db/client.ts").Database,
      key: string,
      state: { failures: number; lastFailedAt: Date; lockedUntil?: Date },
    ) {
      const data = {
        failures: state.failures,
        lastFailedAt: state.lastFailedAt,
        lockedUntil: state.lockedUntil ?? null,
      };
      await db.loginThrottle.upsert({ where: { key }, create: { key, ...data }, update: data });
    }

    test("failures for an account from one address bring growing delays, then a lock of that pair, said plainly", async ({
      loginPage,
      user,
      db,
      clientAddress,
    }) => {
      const pair = `pair:${clientAddress} ${user.email}`;
      await loginPage.goto();
      for (let attempt = 1; attempt < PAIR_POLICY.freeFailures; attempt++) {
        expect(await loginPage.signInExpectingError(user.email, `wrong-${attempt}`)).toBe(WRONG);
      }
      // The free failures are used up: the next attempt must wait, even with the right password.
      await setThrottle(db, pair, { failures: 6, lastFailedAt: new Date() });
      expect(await loginPage.signInExpectingError(user.email, user.password)).toMatch(
        /^Too many failed attempts\. Please wait \d+ seconds before trying again\.$/,
      );

      // The failure that reaches the limit locks the account from this address for a while.
      await setThrottle(db, pair, {
        failures: PAIR_POLICY.lockAfter - 1,
        lastFailedAt: new Date(Date.now() - 10 * 60_000),
      });
      expect(await loginPage.signInExpectingError(user.email, "wrong-again")).toBe(
        `${WRONG} After too many failed attempts, sign-in for this account from your network is now locked for 15 minutes.`,
      );
      expect(await loginPage.signInExpectingError(user.email, user.password)).toMatch(
        /^Sign-in for this account from your network is locked for 1[45] minutes after too many failed attempts\./,
      );
    });

    test("failures for an account from everywhere only slow it down: its owner is never locked out", async ({
      loginPage,
      accountPage,
      user,
      db,
    }) => {
      // Hundreds of failures from other addresses, the last just over the longest delay ago.
      await setThrottle(db, `account:${user.email}`, {
        failures: 500,
        lastFailedAt: new Date(Date.now() - ACCOUNT_POLICY.maxDelayMs - 1000),
      });
      await setThrottle(db, `pair:203.0.113.66 ${user.email}`, {
        failures: 0,
        lastFailedAt: new Date(),
        lockedUntil: new Date(Date.now() + 15 * 60_000),
      });
      await loginPage.goto();
      await loginPage.signIn(user.email, user.password);
      await expect(accountPage.page).toHaveURL(/\/account$/);
    });

    test("concurrent wrong passwords get no more checks than the policy allows", async ({
      loginPage,
      user,
      db,
      clientAddress,
    }) => {
      test.setTimeout(120_000);
      await loginPage.goto();
      // The form's fields, as the browser would post them without JavaScript (a server action).
      const fields = await loginPage.page
        .locator("form")
        .filter({ has: loginPage.password })
        .evaluate(
          (form) =>
            Object.fromEntries(new FormData(form as HTMLFormElement).entries()) as Record<string, string>,
        );
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 14 }, async (_, i) => {
          const response = await loginPage.page.request.post("/login", {
            multipart: { ...fields, email: user.email, password: `wrong-${i}` },
          });
          return response.text();
        }),
      );
      const elapsedMs = Date.now() - started;
      const checked = answers.filter((html) => html.includes(WRONG)).length;
      const held = answers.filter((html) => html.includes("Too many failed attempts")).length;
      expect(checked + held).toBe(14);
      // The free failures, plus one more for each delay that ran out while the burst lasted (on a
      // loaded machine it can take seconds); checked before counted, all 14 would get through.
      let allowed = PAIR_POLICY.freeFailures;
      for (let waited = delayAfter(PAIR_POLICY, allowed); waited <= elapsedMs; allowed++) {
        waited += delayAfter(PAIR_POLICY, allowed + 1);
      }
      expect(checked).toBeGreaterThanOrEqual(PAIR_POLICY.freeFailures);
      expect(checked).toBeLessThanOrEqual(allowed);
      // Every check was counted.
      const row = await db.loginThrottle.findUnique({
        where: { key: `pair:${clientAddress} ${user.email}` },
      });
      expect(row?.failures).toBe(checked);
    });

    test("an unknown email is throttled exactly like a real account", async ({ loginPage, db }) => {
      const email = "no-such-account@example.com";
      await setThrottle(db, `account:${email}`, { failures: 20, lastFailedAt: new Date() });
      await loginPage.goto();
      expect(await loginPage.signInExpectingError(email, "anything")).toMatch(/^Too many failed attempts\./);
    });

    test("failures from one client address lock that address, whatever the account", async ({
      loginPage,
      user,
      db,
      clientAddress,
    }) => {
      await setThrottle(db, `address:${clientAddress}`, {
        failures: 0,
        lastFailedAt: new Date(),
        lockedUntil: new Date(Date.now() + 15 * 60_000),
      });
      await loginPage.goto();
      expect(await loginPage.signInExpectingError(user.email, user.password)).toMatch(
        /^Sign-in for your network is locked for 1[45] minutes/,
      );
    });
  });
});
