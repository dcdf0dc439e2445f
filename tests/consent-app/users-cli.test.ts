import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createDatabase } from "@/db/client.ts";
import { verifyPassword } from "@/lib/users/passwords.ts";
import { UserStore } from "@/lib/users/store.ts";

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

  test("set-password and verify-email, for operators", async () => {
    const db = createDatabase(env.DATABASE_URL);
    try {
      const users = new UserStore(db);
      assert.equal((await users.findByEmail("ann@example.com"))?.emailVerifiedAt, null);
      const verified = run(["verify-email", "--email", "ANN@example.com"]);
      assert.equal(verified.status, 0, verified.stderr);
      assert.match(verified.stdout, /^Marked ann@example\.com as verified\n$/);
      assert.ok((await users.findByEmail("ann@example.com"))?.emailVerifiedAt instanceof Date);

      const set = run(["set-password", "--email", "ann@example.com"], "a brand new password\n");
      assert.equal(set.status, 0, set.stderr);
      assert.match(set.stdout, /^Set a new password for ann@example\.com\n$/);
      const { passwordHash } = (await users.findCredentials("ann@example.com"))!;
      assert.ok(await verifyPassword(passwordHash, "a brand new password"));
      assert.ok(!(await verifyPassword(passwordHash, "correct horse")));
    } finally {
      await db.$disconnect();
    }
  });

  test("clear errors and a non-zero exit", () => {
    const cases: Array<[string[], RegExp]> = [
      [["create", "--email", "ann@example.com", "--password", "correct horse"], /exists/],
      [
        ["create", "--email", "not-an-email", "--password", "correct horse"],
        /--email: Enter a valid email address/,
      ],
      [["create", "--email", "cat@example.com", "--password", "short"], /8 to 128 characters/],
      [["delete", "--email", "nobody@example.com"], /No user has the email nobody@example.com/],
      [
        ["set-password", "--email", "nobody@example.com", "--password", "long enough"],
        /No user has the email/,
      ],
      [["set-password", "--email", "ann@example.com", "--password", "short"], /8 to 128 characters/],
      [["verify-email", "--email", "nobody@example.com"], /No user has the email nobody@example.com/],
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
