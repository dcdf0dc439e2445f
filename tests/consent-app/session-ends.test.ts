/**
 * Which sessions of the consent app end — and are reported, so the apps they
 * signed in to get a logout token — when someone signs in again, changes or
 * resets a password, on every backend: signing in again as the same person
 * keeps the public `sid` under a new secret id; another person's session of
 * the browser ends and is reported; a password change reports each other live
 * session, a reset the person; an expiry is never reported. The pages and the
 * server are exercised end to end by e2e/session-ends.spec.ts.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Logger } from "@/common/log.ts";
import type { Database } from "@/db/client.ts";
import { Accounts } from "@/lib/accounts/accounts.ts";
import { createMailer } from "@/lib/mail/transport.ts";
import { BROWSER_SESSION_SECONDS, SessionStore, sessionIdHash } from "@/lib/session/store.ts";
import { UserStore } from "@/lib/users/store.ts";
import { issueToken } from "@/tests/accounts/links.ts";
import { migratedDatabase } from "@/tests/support/migrated-database.ts";
import { BACKENDS } from "@/tests/support/server.ts";

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };

type Ended = { sid: string } | { subject: string };

for (const backend of BACKENDS) {
  describe(`sessions that end without a sign-out (${backend})`, () => {
    const database = migratedDatabase(backend);
    let db: Database;
    let sessions: SessionStore;
    let users: UserStore;
    let accounts: Accounts;
    const reported: Ended[] = [];

    before(async () => {
      db = database.db;
      sessions = new SessionStore(db);
      users = new UserStore(db);
      accounts = new Accounts({
        db,
        mailer: createMailer({ smtpUrl: undefined, from: "Portico <no-reply@example.test>", log: quiet }),
        issuer: "https://portico.example",
        signupOpen: true,
        sessionsEnded: (ended) => reported.push(ended),
      });
    });

    const newUser = (tag: string) =>
      users.create({
        email: `${tag}-${Math.random().toString(36).slice(2)}@example.com`,
        password: "a-password-1",
      });

    test("signing in again as the same person: a new secret id, the same sid, the new sign-in's time and lifetime", async () => {
      const ann = await newUser("ann");
      const then = new Date("2026-12-01T10:00:00Z");
      const first = await sessions.create({ userId: ann.id, persistent: true, userAgent: "Old" }, then);
      const now = new Date(then.getTime() + 3600_000);
      const again = await sessions.signIn(
        first.secretId,
        { userId: ann.id, persistent: false, userAgent: "New", amr: ["pwd"] },
        now,
      );
      assert.notEqual(again.secretId, first.secretId, "no session fixation: the secret id rotates");
      assert.equal(again.session.sid, first.session.sid, "the apps' sessions go on");
      assert.equal(again.ended, undefined, "nothing ended");
      assert.equal(await sessions.findActive(first.secretId, now), null, "the old cookie signs nobody in");
      const found = await sessions.findActive(again.secretId, now);
      assert.equal(found?.sid, first.session.sid);
      assert.equal(found?.authTime.getTime(), now.getTime());
      assert.equal(found?.expiresAt.getTime(), now.getTime() + BROWSER_SESSION_SECONDS * 1000);
      assert.equal(found?.persistent, false);
      assert.equal(found?.userAgent, "New");
      assert.equal(found?.createdAt.getTime(), then.getTime(), "the session is the one that began then");
      const rows = await db.session.findMany({ where: { userId: ann.id } });
      assert.deepEqual(
        rows.map((row) => [row.id, row.sid]),
        [[sessionIdHash(again.secretId), first.session.sid]],
      );
    });

    test("signing in over another person's session ends it and says so; a browser without one ends nothing", async () => {
      const bob = await newUser("bob");
      const cat = await newUser("cat");
      const bobs = await sessions.create({ userId: bob.id, persistent: false });
      const cats = await sessions.signIn(bobs.secretId, { userId: cat.id, persistent: false });
      assert.notEqual(cats.session.sid, bobs.session.sid);
      assert.equal(cats.ended?.sid, bobs.session.sid);
      assert.equal(cats.ended?.userId, bob.id);
      assert.equal("id" in (cats.ended ?? {}), false, "the table's key never leaves the store");
      assert.equal(await db.session.count({ where: { userId: bob.id } }), 0);
      const fresh = await sessions.signIn(undefined, { userId: bob.id, persistent: false });
      assert.equal(fresh.ended, undefined);
      const unknown = await sessions.signIn("no-such-secret", { userId: bob.id, persistent: false });
      assert.equal(unknown.ended, undefined);
    });

    test("an expired session, or one ended meanwhile, is neither continued nor reported", async () => {
      const dee = await newUser("dee");
      const eve = await newUser("eve");
      const then = new Date("2026-12-01T10:00:00Z");
      const later = new Date(then.getTime() + (BROWSER_SESSION_SECONDS + 60) * 1000);
      const expired = await sessions.create({ userId: dee.id, persistent: false }, then);
      const same = await sessions.signIn(expired.secretId, { userId: dee.id, persistent: false }, later);
      assert.notEqual(same.session.sid, expired.session.sid, "an expired session does not come back");
      assert.equal(same.ended, undefined);
      const other = await sessions.create({ userId: dee.id, persistent: false }, then);
      const switched = await sessions.signIn(other.secretId, { userId: eve.id, persistent: false }, later);
      assert.equal(switched.ended, undefined, "an expiry is not reported");
      assert.equal(await db.session.count({ where: { sid: other.session.sid } }), 0);

      const live = await sessions.create({ userId: dee.id, persistent: false });
      assert.ok(await sessions.end(dee.id, live.session.sid), "ended from elsewhere");
      const after = await sessions.signIn(live.secretId, { userId: dee.id, persistent: false });
      assert.notEqual(after.session.sid, live.session.sid, "an ended session is not revived");
      assert.equal(after.ended, undefined);
      assert.equal(await sessions.end(dee.id, "no-such-sid"), false);
      const stale = await sessions.create({ userId: dee.id, persistent: false }, then);
      assert.equal(await sessions.end(dee.id, stale.session.sid), false, "an expired one had ended already");
    });

    test("a password change reports each other live session that ended, never the one kept", async () => {
      const fay = await newUser("fay");
      const kept = await sessions.create({ userId: fay.id, persistent: false });
      const other = await sessions.create({ userId: fay.id, persistent: true });
      const third = await sessions.create({ userId: fay.id, persistent: false });
      await sessions.create({ userId: fay.id, persistent: false }, new Date("2026-01-01"));
      reported.length = 0;
      await accounts.setPassword(fay.id, "a new passphrase", kept.session.sid);
      assert.deepEqual(
        reported.map((ended) => ("sid" in ended ? ended.sid : "")).sort(),
        [other.session.sid, third.session.sid].sort(),
      );
      assert.deepEqual(
        (await db.session.findMany({ where: { userId: fay.id } })).map((row) => row.sid),
        [kept.session.sid],
        "every other session ended, the expired one too",
      );
    });

    test("a password reset reports every session of the person; a refused link reports nothing", async () => {
      const gus = await newUser("gus");
      await sessions.create({ userId: gus.id, persistent: false });
      await sessions.create({ userId: gus.id, persistent: true });
      const token = await db.$transaction((tx) =>
        issueToken(tx, { userId: gus.id, purpose: "reset_password", email: gus.email }),
      );
      reported.length = 0;
      assert.deepEqual(await accounts.resetPassword("not-a-link", "a new passphrase"), {
        ok: false,
        problem: "invalid",
      });
      assert.deepEqual(reported, []);
      const outcome = await accounts.resetPassword(token, "a new passphrase");
      assert.ok(outcome.ok);
      assert.deepEqual(reported, [{ subject: gus.id }]);
      assert.equal(await db.session.count({ where: { userId: gus.id } }), 0);
    });
  });
}
