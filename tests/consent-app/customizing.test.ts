import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { RECENT_SIGN_IN_SECONDS } from "@/lib/accounts/recent.ts";
import { TOKEN_LIFETIME_MS } from "@/lib/accounts/tokens.ts";
import { brand } from "@/lib/brand/brand.ts";
import { describeScope } from "@/lib/consent/scopes.ts";
import { durationInWords } from "@/lib/format/duration.ts";
import {
  confirmNewEmailMessage,
  emailChangedMessage,
  resetPasswordMessage,
  verifyEmailMessage,
} from "@/lib/mail/messages.ts";

/** Every TypeScript file of the login & consent app but the demo relying party (a client, not the product). */
function appSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join("app", "(demo)")) walk(path);
      } else if (/\.tsx?$/.test(entry.name)) files.push(path);
    }
  };
  for (const root of ["app", "components", "lib"]) walk(root);
  return files;
}

/** The code without its comments (line comments, block comments, JSX comments). */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

describe("customizing a fork", () => {
  test("the product name is written in lib/brand only: no page, component or module of the app spells it", () => {
    const spelled = appSources()
      .filter((file) => file !== join("lib", "brand", "brand.ts"))
      .filter((file) => /Portico/.test(withoutComments(readFileSync(file, "utf8"))));
    assert.deepEqual(spelled, [], "a rebrand (README, Changing the look) would leave these saying Portico");
  });

  test("the consent screen's openid line names the brand", () => {
    assert.match(describeScope("openid").description, new RegExp(`your ${brand.name} account`));
  });

  test("a lifetime in words, as the pages and emails state it", () => {
    assert.equal(durationInWords(3600), "1 hour");
    assert.equal(durationInWords(24 * 3600), "24 hours");
    assert.equal(durationInWords(7 * 24 * 3600), "7 days");
    assert.equal(durationInWords(30 * 24 * 3600), "30 days");
    assert.equal(durationInWords(10 * 60), "10 minutes");
    assert.equal(durationInWords(90), "90 seconds");
    assert.equal(durationInWords(1), "1 second");
  });

  test("each email states the lifetime its link has, from the constant that sets it", () => {
    const words = (ms: number) => `for ${durationInWords(ms / 1000)}`;
    const link = "http://localhost/x";
    assert.ok(verifyEmailMessage({ link }).text.includes(words(TOKEN_LIFETIME_MS.verify_email)));
    assert.ok(resetPasswordMessage({ link }).text.includes(words(TOKEN_LIFETIME_MS.reset_password)));
    assert.ok(confirmNewEmailMessage({ link }).text.includes(words(TOKEN_LIFETIME_MS.change_email)));
    const changed = emailChangedMessage({ newEmail: "b@example.com", undoLink: link });
    assert.ok(changed.text.includes(words(TOKEN_LIFETIME_MS.restore_email)));
    assert.equal(durationInWords(RECENT_SIGN_IN_SECONDS), "10 minutes");
  });
});
