import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Database } from "@/db/client.ts";
import { GrantStore } from "@/lib/consent/grants.ts";
import { PAIR_POLICY, ThrottleStore, throttleKeys } from "@/lib/security/throttle.ts";
import { verifyPassword } from "@/lib/users/passwords.ts";
import { UserError, UserStore } from "@/lib/users/store.ts";
import { migratedDatabase } from "@/tests/support/migrated-database.ts";
import { BACKENDS } from "@/tests/support/server.ts";

for (const backend of BACKENDS) {
  describe(`consent app stores (${backend})`, () => {
    const database = migratedDatabase(backend);
    let db: Database;
    let users: UserStore;

    before(async () => {
      db = database.db;
      users = new UserStore(db);
    });

    test("users: one account per normalised email, an opaque id, an argon2id hash", async () => {
      const ann = await users.create({
        email: " Ann@Example.com ",
        password: "correct horse",
        name: " Ann ",
      });
      assert.equal(ann.email, "ann@example.com");
      assert.equal(ann.name, "Ann");
      assert.match(ann.id, /^[0-9a-f-]{36}$/);
      assert.ok(!("passwordHash" in ann));
      await assert.rejects(users.create({ email: "ANN@example.com", password: "another one" }), {
        code: "email_taken",
      });
      await assert.rejects(users.create({ email: "bob@example.com", password: "short" }), {
        code: "weak_password",
      });

      const credentials = await users.findCredentials("ann@EXAMPLE.com");
      assert.match(credentials?.passwordHash ?? "", /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.ok(await verifyPassword(credentials?.passwordHash, "correct horse"));
      assert.ok(!(await verifyPassword(credentials?.passwordHash, "Correct horse")));

      await users.setPassword("ann@example.com", "battery staple");
      assert.ok(
        await verifyPassword(
          (await users.findCredentials("ann@example.com"))?.passwordHash,
          "battery staple",
        ),
      );
      assert.equal((await users.findById(ann.id))?.email, "ann@example.com");
      assert.deepEqual(
        (await users.list()).map((user) => user.email),
        ["ann@example.com"],
      );
    });

    test("remembered decisions: one per user and client, replaced, revoked only by their owner", async () => {
      const grants = new GrantStore(db);
      const cara = await users.create({ email: "cara@example.com", password: "password-c" });
      const dan = await users.create({ email: "dan@example.com", password: "password-d" });
      await grants.remember(cara.id, "app", ["openid", "email"]);
      await grants.remember(cara.id, "app", ["openid", "profile", "openid"]);
      await grants.remember(dan.id, "app", ["openid"]);

      const [grant] = await grants.list(cara.id);
      assert.deepEqual(grant?.scopes, ["openid", "profile"]);
      assert.deepEqual((await grants.find(cara.id, "app"))?.scopes, ["openid", "profile"]);
      assert.equal(await grants.find(cara.id, "other"), null);

      assert.equal(
        await grants.revoke(dan.id, grant!.id),
        false,
        "another user's decision is not theirs to revoke",
      );
      assert.equal(await grants.revoke(cara.id, grant!.id), true);
      assert.deepEqual(await grants.list(cara.id), []);

      await users.delete("dan@example.com");
      assert.deepEqual(await grants.list(dan.id), [], "deleting a user deletes their decisions");
      await assert.rejects(users.delete("dan@example.com"), (error: unknown) => error instanceof UserError);
    });

    test("remembered decisions and deletions: the same write several times at once never fails", async () => {
      const grants = new GrantStore(db);
      for (let round = 0; round < 6; round++) {
        const user = await users.create({ email: `race${round}@example.com`, password: "password-r" });
        const remembered = await Promise.allSettled(
          [["openid"], ["openid", "email"], ["profile"], ["openid"], ["email"], ["openid", "profile"]].map(
            (scopes) => grants.remember(user.id, "app", scopes),
          ),
        );
        assert.deepEqual(
          remembered.map((result) => (result.status === "rejected" ? String(result.reason) : "ok")),
          remembered.map(() => "ok"),
        );
        assert.equal((await grants.list(user.id)).length, 1);

        const deleted = await Promise.allSettled([1, 2, 3, 4].map(() => users.deleteById(user.id)));
        assert.deepEqual(
          deleted
            .map((result) => (result.status === "rejected" ? String(result.reason) : result.value))
            .sort(),
          [false, false, false, true],
          "exactly one deletion deletes; the others find nobody",
        );
        assert.equal(await users.findById(user.id), null);
      }
    });

    test("throttling: attempts count per key, the strictest key decides, success clears the account", async () => {
      const throttles = new ThrottleStore(db);
      const keys = throttleKeys("eve@example.com", "203.0.113.9");
      const t0 = new Date("2026-01-01T00:00:00Z");
      for (let i = 0; i < PAIR_POLICY.freeFailures; i++) {
        assert.deepEqual(await throttles.reserve(keys, t0), { allowed: true });
      }
      const verdict = await throttles.check(keys, t0);
      assert.deepEqual(verdict, {
        allowed: false,
        reason: "delay",
        retryAt: new Date(t0.getTime() + 1000),
        scope: "pair",
      });
      assert.deepEqual(await throttles.reserve(keys, t0), verdict, "a refused attempt reserves nothing");
      const counts = await db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
      assert.deepEqual(
        counts.map((row) => row.failures),
        keys.map(() => PAIR_POLICY.freeFailures),
      );
      // Another account from the same address is still free: the address tolerates more.
      assert.deepEqual(await throttles.check(throttleKeys("fay@example.com", "203.0.113.9"), t0), {
        allowed: true,
      });

      await throttles.clear(keys.filter((key) => key.scope !== "address"));
      assert.deepEqual(await throttles.check(keys, t0), { allowed: true });
      await throttles.release(keys);
      const address = await db.loginThrottle.findUnique({ where: { key: keys.at(-1)!.key } });
      assert.equal(
        address?.failures,
        PAIR_POLICY.freeFailures - 1,
        "a right password hands its attempt back",
      );
    });

    test("throttling: of many attempts at once, no more go ahead than the policy allows", async () => {
      const throttles = new ThrottleStore(db);
      const keys = throttleKeys("gil@example.com", "203.0.113.10");
      const t0 = new Date("2026-01-01T00:00:00Z");
      const verdicts = await Promise.all(Array.from({ length: 12 }, () => throttles.reserve(keys, t0)));
      const allowed = verdicts.filter((verdict) => verdict.allowed).length;
      assert.ok(allowed >= 1 && allowed <= PAIR_POLICY.freeFailures, `${allowed} went ahead`);
      const counts = await db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
      assert.deepEqual(
        counts.map((row) => row.failures),
        keys.map(() => allowed),
        "each attempt that went ahead counted once against every key; no refused one did",
      );
    });
  });
}

describe("password checks for unknown users", () => {
  test("run a full argon2id verification, like a wrong password", async () => {
    const { hashPassword } = await import("@/lib/users/passwords.ts");
    const hash = await hashPassword("the real password");
    const time = async (passwordHash: string | undefined) => {
      const started = performance.now();
      await verifyPassword(passwordHash, "a guess");
      return performance.now() - started;
    };
    await time(undefined);
    // Interleaved, and compared by median, so that load from other tests hits both alike.
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 9; i++) {
      unknown.push(await time(undefined));
      wrong.push(await time(hash));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ratio = median(unknown) / median(wrong);
    assert.ok(ratio > 1 / 3 && ratio < 3, `unknown ${median(unknown)} ms vs wrong ${median(wrong)} ms`);
  });
});
