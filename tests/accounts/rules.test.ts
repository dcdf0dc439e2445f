import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeDevice } from "@/lib/accounts/device.ts";
import { signInPage } from "@/lib/accounts/prompt-create.ts";
import { RECENT_SIGN_IN_SECONDS, signedInRecently } from "@/lib/accounts/recent.ts";
import { assessPassword } from "@/lib/users/password-policy.ts";

describe("account rules", () => {
  test("new passwords: 8–128 characters, not on the shipped common list, not the person's own details, at least fair", async () => {
    const cases: Array<[string, RegExp | undefined]> = [
      ["short1!", /at least 8 characters/],
      ["a".repeat(129), /at most 128 characters/],
      ["password1", /most common passwords/],
      ["P@ssw0rd", /most common passwords/],
      ["qwertyuiop", /most common passwords/],
      ["ann.example@mail.test", /your name or email address/],
      ["abcdefgh", /too easy to guess/],
      ["Password123!", /too easy to guess/],
      ["correct horse battery staple", undefined],
      ["plum quartz lantern 42", undefined],
      ["Xk39-sdl!kfj2", undefined],
    ];
    for (const [password, problem] of cases) {
      const assessment = await assessPassword(password, ["ann.example@mail.test", "Ann Example"]);
      if (problem) assert.match(assessment.problem ?? "", problem, password);
      else assert.equal(assessment.problem, undefined, password);
      assert.ok(assessment.score >= 0 && assessment.score <= 4);
    }
    assert.equal((await assessPassword("correct horse battery staple")).label, "Strong");
  });

  test("a change to the account needs a sign-in within the last 10 minutes", () => {
    const now = Date.parse("2026-12-06T12:00:00Z");
    assert.equal(RECENT_SIGN_IN_SECONDS, 600);
    assert.ok(signedInRecently(now / 1000 - 599, now));
    assert.ok(signedInRecently(now / 1000 - 600, now));
    assert.ok(!signedInRecently(now / 1000 - 601, now));
  });

  test("prompt=create leads to sign-up only when nobody is signed in and sign-up is open", () => {
    const base = { consent: "c-1", prompt: ["create"], signedIn: false, signupOpen: true };
    assert.equal(signInPage(base), "/signup?consent=c-1");
    assert.equal(signInPage({ ...base, signupOpen: false }), "/login?consent=c-1");
    assert.equal(signInPage({ ...base, signedIn: true }), "/login?consent=c-1");
    assert.equal(signInPage({ ...base, prompt: ["login"] }), "/login?consent=c-1");
    assert.equal(signInPage({ ...base, prompt: [] }), "/login?consent=c-1");
  });

  test("sessions are named by browser and system", () => {
    const cases: Array<[string, string]> = [
      [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36",
        "Chrome on Linux",
      ],
      [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox on Windows",
      ],
      [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
        "Safari on iOS",
      ],
      [
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        "Edge on macOS",
      ],
      ["curl/8.5.0", "Unknown browser"],
      ["", "Unknown browser"],
    ];
    for (const [agent, name] of cases) assert.equal(describeDevice(agent), name, agent);
  });
});
