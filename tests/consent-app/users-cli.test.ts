import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

/** `npm run users:*`, on a database that does not exist yet (the script migrates it). */
describe("users CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "portico-users-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, DATABASE_URL: `file:${join(dir, "nested", "portico.db")}` };
  const run = (args: string[], input?: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "scripts/users.ts", ...args], {
      env,
      input,
      encoding: "utf8",
    });

  test("create, list and delete, before the first start", () => {
    const created = run([
      "create",
      "--email",
      "Ann@Example.com",
      "--password",
      "correct horse",
      "--name",
      "Ann",
    ]);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /^Created ann@example\.com \(Ann\); subject [0-9a-f-]{36}\n$/);

    const piped = run(["create", "--email", "bob@example.com"], "a piped password\n");
    assert.equal(piped.status, 0, piped.stderr);

    const listed = run(["list"]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^EMAIL\s+NAME\s+SUBJECT\s+CREATED\n/);
    assert.match(listed.stdout, /ann@example\.com\s+Ann\s/);
    assert.match(listed.stdout, /bob@example\.com\s+—\s/);

    assert.equal(run(["delete", "--email", "bob@example.com"]).status, 0);
    assert.doesNotMatch(run(["list"]).stdout, /bob@example\.com/);
  });

  test("clear errors and a non-zero exit", () => {
    const cases: Array<[string[], RegExp]> = [
      [["create", "--email", "ann@example.com", "--password", "correct horse"], /exists/],
      [
        ["create", "--email", "not-an-email", "--password", "correct horse"],
        /--email: Enter a valid email address/,
      ],
      [["create", "--email", "cat@example.com", "--password", "short"], /8 to 1024 characters/],
      [["delete", "--email", "nobody@example.com"], /No user has the email nobody@example.com/],
      [["frobnicate"], /Usage:/],
      [["list", "--bogus"], /Unknown option/],
    ];
    for (const [args, message] of cases) {
      const result = run(args, "");
      assert.equal(result.status, 1, args.join(" "));
      assert.match(result.stderr, message, args.join(" "));
    }
  });
});
