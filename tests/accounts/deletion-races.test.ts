import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { Accounts } from "@/lib/accounts/accounts.ts";
import type { Mailer } from "@/lib/mail/transport.ts";
import { hashPassword } from "@/lib/users/passwords.ts";
import { PUBLIC_FIELDS, UserStore } from "@/lib/users/store.ts";
import { issueToken } from "@/tests/accounts/links.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

/**
 * A person deleting their account while a link of theirs is followed, or a
 * link is asked for, in another tab. On PostgreSQL the link's transaction
 * took the link's row before the person's, and the deletion the other way
 * round: they deadlocked, and one of the two pages answered 500; a link asked
 * for just after the person's row was read failed on the foreign key. Each
 * race must end in one of the two orders: never an error, never a link or a
 * password that outlives the person.
 */
const ROUNDS = 25;

let tag = 0;
const address = (name: string) => `${name}-${process.pid}-${++tag}@example.com`;

function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

function show(result: { value: unknown } | { error: unknown }): string {
  if ("value" in result) return JSON.stringify(result.value);
  const error = result.error as { code?: unknown; message?: unknown };
  return `threw ${String(error.code ?? error.message)}`;
}

for (const backend of BACKENDS) {
  describe(`accounts: a link racing the deletion of its person (${backend})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let accounts: Accounts;
    let users: UserStore;
    const sent: string[] = [];
    /** About how long a password takes to hash, so that the deletion lands inside a reset's transaction. */
    let hashMs = 0;

    before(async () => {
      const fresh = await freshDatabase(backend);
      drop = fresh.drop;
      await migrate(fresh.url);
      db = createDatabase(fresh.url);
      const mailer: Mailer = {
        async send(to) {
          sent.push(to);
          return { sent: true };
        },
      };
      accounts = new Accounts({ db, mailer, issuer: "https://login.example.test", signupOpen: true });
      users = new UserStore(db);
      const started = Date.now();
      await hashPassword("a long passphrase");
      hashMs = Date.now() - started;
    });
    after(async () => {
      await db.$disconnect();
      await drop();
    });

    async function person(): Promise<{ id: string; email: string }> {
      const email = address("dee");
      await users.create({ email, password: "the original one", name: "Dee" });
      const row = await db.user.findUniqueOrThrow({ where: { email }, select: { id: true } });
      return { id: row.id, email };
    }

    /** Runs `operation` and the person's deletion at once, the deletion after up to `spreadMs`. */
    async function race<T>(
      userId: string,
      operation: () => Promise<T>,
      spreadMs: number,
      offsetMs = 0,
    ): Promise<{
      operation: { value: T } | { error: unknown };
      deletion: { value: boolean } | { error: unknown };
    }> {
      const delay = Math.max(0, offsetMs + (Math.random() - 0.5) * spreadMs);
      const [result, deletion] = await Promise.all([
        settle(operation()),
        settle(new Promise((resolve) => setTimeout(resolve, delay)).then(() => users.deleteById(userId))),
      ]);
      return { operation: result, deletion };
    }

    async function assertGone(userId: string): Promise<void> {
      assert.equal(await db.user.count({ where: { id: userId } }), 0);
      assert.equal(await db.accountToken.count({ where: { userId } }), 0);
      assert.equal(await db.session.count({ where: { userId } }), 0);
    }

    test("a password reset and the deletion: one of them first, neither fails", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { id, email } = await person();
        const token = await db.$transaction((tx) =>
          issueToken(tx, { userId: id, purpose: "reset_password", email }),
        );
        const { operation, deletion } = await race(
          id,
          () => accounts.resetPassword(token, "a new long passphrase"),
          20,
          hashMs,
        );
        assert.ok("value" in operation && "value" in deletion, `${show(operation)} / ${show(deletion)}`);
        assert.equal(deletion.value, true);
        await assertGone(id);
      }
    });

    for (const purpose of ["verify_email", "change_email", "restore_email"] as const) {
      test(`confirming a ${purpose} link and the deletion: one of them first, neither fails`, async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const { id, email } = await person();
          const token = await db.$transaction((tx) =>
            issueToken(tx, {
              userId: id,
              purpose,
              email: purpose === "verify_email" ? email : `new-${email}`,
            }),
          );
          const follow = () =>
            purpose === "restore_email"
              ? accounts.restoreEmail(token, "a new passphrase 4711")
              : accounts.confirmEmail(token);
          const { operation, deletion } = await race(id, follow, 12);
          assert.ok("value" in operation && "value" in deletion, `${show(operation)} / ${show(deletion)}`);
          assert.equal(deletion.value, true);
          await assertGone(id);
        }
      });
    }

    test("asking for a reset link, a new verification link or a new address while the person is deleted: no error", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { id, email } = await person();
        const user = await db.user.findUniqueOrThrow({ where: { id }, select: PUBLIC_FIELDS });
        // An older link of each kind, so that issuing a new one deletes rows the deletion deletes too.
        await db.$transaction(async (tx) => {
          await issueToken(tx, { userId: id, purpose: "reset_password", email });
          await issueToken(tx, { userId: id, purpose: "verify_email", email });
          await issueToken(tx, { userId: id, purpose: "change_email", email: `old-${email}` });
        });
        const operations = [
          () => accounts.requestPasswordReset(email, undefined),
          () => accounts.resendVerification(user, undefined),
          () => accounts.requestEmailChange(user, `moved-${email}`, undefined),
        ];
        const operation = operations[round % operations.length]!;
        const { operation: result, deletion } = await race(id, operation, 12);
        assert.ok("value" in result && "value" in deletion, `${show(result)} / ${show(deletion)}`);
        assert.deepEqual(result.value, { ok: true });
        assert.equal(deletion.value, true);
        await assertGone(id);
      }
    });
  });
}
