import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Logger } from "@/common/log.ts";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { Accounts } from "@/lib/accounts/accounts.ts";
import { MAIL_RECIPIENT_POLICY } from "@/lib/accounts/throttle.ts";
import { brand } from "@/lib/brand/brand.ts";
import { GrantStore } from "@/lib/consent/grants.ts";
import { purgeAppState } from "@/lib/housekeeping/index.ts";
import { createMailer } from "@/lib/mail/transport.ts";
import { SessionStore } from "@/lib/session/store.ts";
import { verifyPassword } from "@/lib/users/passwords.ts";
import { UserStore } from "@/lib/users/store.ts";
import { issueToken } from "@/tests/accounts/links.ts";
import { linkIn, type Mailbox, startMailbox } from "@/tests/support/mailbox.ts";
import { freePort } from "@/tests/support/ports.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

const ISSUER = "https://login.example.test";

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

let tag = 0;
const address = (name: string) => `${name}-${process.pid}-${++tag}@example.com`;

function tokenOf(link: string): string {
  return new URL(link).searchParams.get("token") ?? "";
}

for (const backend of BACKENDS) {
  describe(`accounts: sign-up, verification, reset, change of address (${backend})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let mailbox: Mailbox;
    let accounts: Accounts;
    let users: UserStore;
    const inbox = (to: string) => mailbox.messages().filter((mail) => mail.to.includes(to));

    /** Accounts on the same database and mailbox, with a mailer of their own, noting what their hooks are told. */
    const hookedAccounts = () => {
      const revoked: string[] = [];
      const ended: unknown[] = [];
      const hooked = new Accounts({
        db,
        mailer: createMailer({
          smtpUrl: mailbox.smtpUrl,
          from: "Portico <no-reply@example.test>",
          log: memoryLog(),
        }),
        issuer: ISSUER,
        signupOpen: true,
        appAccessRevoked: (subject) => revoked.push(subject),
        sessionsEnded: (what) => ended.push(what),
      });
      return { hooked, revoked, ended };
    };

    before(async () => {
      const fresh = await freshDatabase(backend);
      drop = fresh.drop;
      await migrate(fresh.url);
      db = createDatabase(fresh.url);
      mailbox = await startMailbox();
      const mailer = createMailer({
        smtpUrl: mailbox.smtpUrl,
        from: "Portico <no-reply@example.test>",
        log: memoryLog(),
      });
      accounts = new Accounts({ db, mailer, issuer: ISSUER, signupOpen: true });
      users = new UserStore(db);
    });
    after(async () => {
      await mailbox.stop();
      await db.$disconnect();
      await drop();
    });

    test("sign-up makes an unverified account and mails a branded link built from ISSUER, in HTML and text", async () => {
      const email = address("ann");
      assert.deepEqual(
        await accounts.signUp(
          { name: " Ann ", email: email.toUpperCase(), password: "a long passphrase" },
          "192.0.2.1",
        ),
        { ok: true },
      );
      const user = await users.findByEmail(email);
      assert.equal(user?.name, "Ann");
      assert.equal(user?.emailVerifiedAt, null);
      const [mail] = inbox(email);
      assert.ok(mail);
      assert.match(mail.subject, new RegExp(`Confirm your email address for ${brand.name}`));
      const link = linkIn(mail, `${ISSUER}/verify-email?token=`);
      assert.ok(mail.html.includes(link.replaceAll("&", "&amp;")), "the HTML part carries the same link");
      assert.ok(mail.html.includes(brand.colors.light.primary), "the HTML part wears the brand");
      // Not greeted by the name typed with an address nobody has confirmed yet.
      assert.match(mail.text, /^Hello,$/m);
      assert.ok(!mail.text.includes("Ann") && !mail.html.includes("Ann"));

      // Only a hash of the secret is stored.
      const rows = await db.accountToken.findMany({ where: { userId: user!.id } });
      assert.equal(rows.length, 1);
      assert.ok(!link.includes(rows[0]!.secretHash));
      assert.match(rows[0]!.secretHash, /^[0-9a-f]{64}$/);
      const lifetime = rows[0]!.expiresAt.getTime() - rows[0]!.createdAt.getTime();
      assert.ok(Math.abs(lifetime - 24 * 3600_000) < 5000, `lifetime ${lifetime}`);

      const inspected = await accounts.inspectEmailLink(tokenOf(link));
      assert.equal(inspected.ok && inspected.email, email);
      const confirmed = await accounts.confirmEmail(tokenOf(link));
      assert.ok(confirmed.ok);
      assert.ok((await users.findByEmail(email))?.emailVerifiedAt instanceof Date);
      // Single use.
      assert.deepEqual(await accounts.confirmEmail(tokenOf(link)), { ok: false, problem: "invalid" });
    });

    test("sign-up with a registered address answers the same and mails 'you already have an account'", async () => {
      const email = address("bob");
      await users.create({ email, password: "the original one", name: "Bob", emailVerified: true });
      assert.deepEqual(
        await accounts.signUp({ name: "Mallory", email, password: "another passphrase" }, undefined),
        { ok: true },
      );
      const [mail] = inbox(email);
      assert.match(mail?.subject ?? "", /You already have a .* account/);
      assert.match(mail?.text ?? "", /Hello Bob,/);
      assert.match(mail?.text ?? "", /tried to create a .* account with this email address/);
      assert.ok(linkIn(mail!, `${ISSUER}/login`));
      const credentials = await users.findCredentials(email);
      assert.ok(await verifyPassword(credentials?.passwordHash, "the original one"));
      assert.equal(credentials?.name, "Bob");
    });

    test("forged, tampered and expired links change nothing", async () => {
      const email = address("cara");
      await accounts.signUp({ name: "Cara", email, password: "a long passphrase" }, undefined);
      const token = tokenOf(linkIn(inbox(email)[0]!, `${ISSUER}/verify-email`));
      const [id, secret] = token.split(".") as [string, string];
      const tampered = `${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
      for (const bad of [tampered, "", "x.y", `${id}`, 42, undefined]) {
        assert.deepEqual(await accounts.confirmEmail(bad), { ok: false, problem: "invalid" }, String(bad));
      }
      await db.accountToken.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      assert.deepEqual(await accounts.confirmEmail(token), { ok: false, problem: "expired" });
      assert.equal((await users.findByEmail(email))?.emailVerifiedAt, null);
    });

    test("housekeeping deletes expired links and keeps live ones", async () => {
      const kim = await users.create({ email: address("kim"), password: "the original one" });
      const expired = await issueToken(db, { userId: kim.id, purpose: "reset_password", email: kim.email });
      await db.accountToken.updateMany({
        where: { userId: kim.id },
        data: { expiresAt: new Date(Date.now() - 1000) },
      });
      const live = await issueToken(db, { userId: kim.id, purpose: "verify_email", email: kim.email });
      const removed = await purgeAppState(db);
      assert.ok((removed.accountTokens ?? 0) >= 1);
      assert.equal(await db.accountToken.count({ where: { id: expired.split(".")[0] } }), 0);
      assert.equal(await db.accountToken.count({ where: { id: live.split(".")[0] } }), 1);
    });

    test("a reset link works once, for an hour; a newer one or a reset voids the older", async () => {
      const email = address("dan");
      const dan = await users.create({ email, password: "the original one" });
      const sessions = new SessionStore(db);
      await sessions.create({ userId: dan.id, persistent: true });
      await sessions.create({ userId: dan.id, persistent: false });
      await accounts.requestPasswordReset(email, "192.0.2.2");
      await accounts.requestPasswordReset(email, "192.0.2.2");
      const [first, second] = inbox(email).map((mail) =>
        tokenOf(linkIn(mail, `${ISSUER}/reset-password?token=`)),
      );
      const row = await db.accountToken.findFirst({ where: { userId: dan.id, purpose: "reset_password" } });
      const lifetime = row!.expiresAt.getTime() - row!.createdAt.getTime();
      assert.ok(Math.abs(lifetime - 3600_000) < 5000, `lifetime ${lifetime}`);
      assert.deepEqual(await accounts.resetPassword(first, "a new passphrase"), {
        ok: false,
        problem: "invalid",
      });
      const reset = await accounts.resetPassword(second, "a new passphrase");
      assert.ok(reset.ok);
      assert.ok(reset.user.emailVerifiedAt instanceof Date, "the link proved the address");
      assert.deepEqual(await sessions.list(dan.id), [], "a reset ends every session");
      assert.ok(await verifyPassword((await users.findCredentials(email))?.passwordHash, "a new passphrase"));
      assert.deepEqual(await accounts.resetPassword(second, "yet another passphrase"), {
        ok: false,
        problem: "invalid",
      });
      assert.equal(await db.accountToken.count({ where: { userId: dan.id } }), 0);
    });

    test("a change of password ends every other session, in the same transaction", async () => {
      const jo = await users.create({ email: address("jo"), password: "the original one" });
      const sessions = new SessionStore(db);
      const { session: kept } = await sessions.create({ userId: jo.id, persistent: false });
      await sessions.create({ userId: jo.id, persistent: false });
      await accounts.setPassword(jo.id, "a new passphrase", kept.sid);
      assert.deepEqual(
        (await sessions.list(jo.id)).map((session) => session.sid),
        [kept.sid],
      );
      assert.ok(
        await verifyPassword((await users.findCredentials(jo.email))?.passwordHash, "a new passphrase"),
      );
    });

    test("a new password voids pending links for a reset or a new address; a reset also forgets decisions and revokes apps", async () => {
      const { hooked, revoked, ended } = hookedAccounts();
      const pendingLinks = async (email: string, to: string) => {
        const user = (await users.findByEmail(email))!;
        await hooked.requestEmailChange(user, to, undefined);
        await hooked.requestPasswordReset(email, undefined);
        return {
          change: tokenOf(linkIn(inbox(to).at(-1)!, `${ISSUER}/verify-email?token=`)),
          reset: tokenOf(linkIn(inbox(email).at(-1)!, `${ISSUER}/reset-password?token=`)),
        };
      };

      // A change of password on the account page: both pending links stop working.
      const kim = await users.create({ email: address("kim"), password: "the original one" });
      const { session } = await new SessionStore(db).create({ userId: kim.id, persistent: false });
      const before = await pendingLinks(kim.email, address("kim-attacker"));
      await hooked.setPassword(kim.id, "a new passphrase", session.sid);
      assert.deepEqual(await hooked.confirmEmail(before.change), { ok: false, problem: "invalid" });
      assert.deepEqual(await hooked.resetPassword(before.reset, "the attacker's one"), {
        ok: false,
        problem: "invalid",
      });
      assert.equal((await users.findById(kim.id))?.email, kim.email);
      assert.deepEqual(revoked, [], "a change of password on the account page revokes no app");

      // A reset: the pending change of address dies with it, remembered decisions go, apps are revoked.
      const lou = await users.create({ email: address("lou"), password: "the original one" });
      await new GrantStore(db).remember(lou.id, "some-app", ["openid"]);
      const links = await pendingLinks(lou.email, address("lou-attacker"));
      const reset = await hooked.resetPassword(links.reset, "a new passphrase");
      assert.ok(reset.ok);
      assert.deepEqual(await hooked.confirmEmail(links.change), { ok: false, problem: "invalid" });
      assert.equal((await users.findById(lou.id))?.email, lou.email);
      assert.deepEqual(await new GrantStore(db).list(lou.id), []);
      assert.deepEqual(revoked, [lou.id]);
      assert.deepEqual(ended.at(-1), { subject: lou.id });
    });

    test("'Forgot password?' for an unknown address answers the same and mails that there is no account", async () => {
      const email = address("nobody");
      assert.deepEqual(await accounts.requestPasswordReset(email, undefined), { ok: true });
      const [mail] = inbox(email);
      assert.match(mail?.text ?? "", /no account uses this address/);
      assert.ok(linkIn(mail!, `${ISSUER}/signup`));
      assert.equal(await users.findByEmail(email), null);
    });

    test("mail to one address is throttled whether or not it has an account, with the same answer", async () => {
      for (const email of [address("erin"), address("ghost")]) {
        if (email.startsWith("erin")) await users.create({ email, password: "the original one" });
        for (let i = 0; i < MAIL_RECIPIENT_POLICY.freeFailures; i++) {
          assert.deepEqual(await accounts.requestPasswordReset(email, undefined), { ok: true });
        }
        const throttled = await accounts.requestPasswordReset(email, undefined);
        assert.equal(throttled.ok, false);
        assert.equal(!throttled.ok && throttled.code, "throttled");
        assert.equal(inbox(email).length, MAIL_RECIPIENT_POLICY.freeFailures);
      }
    });

    test("a change of address takes effect only through the link sent to the new address; the old one is told", async () => {
      const old = address("fay");
      const fay = await users.create({
        email: old,
        password: "the original one",
        name: "Fay",
        emailVerified: true,
      });
      const next = address("fay-new");
      assert.deepEqual(await accounts.requestEmailChange(fay, next, undefined), { ok: true });
      assert.equal((await users.findById(fay.id))?.email, old);
      const token = tokenOf(linkIn(inbox(next)[0]!, `${ISSUER}/verify-email?token=`));
      const confirmed = await accounts.confirmEmail(token);
      assert.ok(confirmed.ok);
      assert.equal(confirmed.user.email, next);
      assert.ok(confirmed.user.emailVerifiedAt instanceof Date);
      const [notice] = inbox(old);
      assert.match(notice?.text ?? "", new RegExp(`changed to ${next.replaceAll(".", "\\.")}`));

      // An address that has an account: the same answer, and its owner hears of it.
      const taken = address("gus");
      await users.create({ email: taken, password: "the original one" });
      assert.deepEqual(await accounts.requestEmailChange(confirmed.user, taken, undefined), { ok: true });
      assert.match(inbox(taken)[0]?.subject ?? "", /You already have/);
      assert.match(inbox(taken)[0]?.text ?? "", /asked to move another .* account to this email address/);
      assert.doesNotMatch(inbox(taken)[0]?.text ?? "", /tried to create/);
      assert.equal((await users.findById(fay.id))?.email, next);
    });

    test("asking to move to an address that has an account voids the earlier link, as asking for a free one does", async () => {
      const hal = await users.create({
        email: address("hal"),
        password: "the original one",
        emailVerified: true,
      });
      const taken = address("ivy");
      await users.create({ email: taken, password: "the original one" });
      // Hal holds a pending link for an address of his own; whether it still works after his next
      // request must not tell him whether the address he asked for next has an account.
      const outcomes: boolean[] = [];
      for (const next of [address("hal-free"), taken]) {
        const mine = address("hal-own");
        assert.deepEqual(await accounts.requestEmailChange(hal, mine, undefined), { ok: true });
        const token = tokenOf(linkIn(inbox(mine)[0]!, `${ISSUER}/verify-email?token=`));
        assert.ok((await accounts.inspectEmailLink(token)).ok);
        assert.deepEqual(await accounts.requestEmailChange(hal, next, undefined), { ok: true });
        outcomes.push((await accounts.inspectEmailLink(token)).ok);
      }
      assert.deepEqual(outcomes, [false, false]);
    });

    test("a reset link sent to an old address stays void when the account moves back to it", async () => {
      const first = address("jo");
      const jo = await users.create({ email: first, password: "the original one", emailVerified: true });
      assert.deepEqual(await accounts.requestPasswordReset(first, undefined), { ok: true });
      const reset = tokenOf(linkIn(inbox(first)[0]!, `${ISSUER}/reset-password?token=`));
      const move = async (to: string) => {
        assert.deepEqual(await accounts.requestEmailChange((await users.findById(jo.id))!, to, undefined), {
          ok: true,
        });
        const link = inbox(to).find((mail) => mail.text.includes("/verify-email?token="));
        assert.ok((await accounts.confirmEmail(tokenOf(linkIn(link!, `${ISSUER}/verify-email?token=`)))).ok);
      };
      await move(address("jo-new"));
      assert.equal((await accounts.inspectResetLink(reset)).ok, false);
      await move(first);
      assert.equal((await users.findById(jo.id))?.email, first);
      assert.equal((await accounts.inspectResetLink(reset)).ok, false);
      assert.equal((await accounts.resetPassword(reset, "a brand new passphrase")).ok, false);
    });

    /** Moves the account to `to` through the link mailed there; answers the undo link mailed to the address it left. */
    async function moveAndUndoLink(service: Accounts, userId: string, to: string): Promise<string> {
      const user = (await users.findById(userId))!;
      assert.deepEqual(await service.requestEmailChange(user, to, undefined), { ok: true });
      const link = inbox(to).findLast((mail) => mail.text.includes("/verify-email?token="));
      assert.ok((await service.confirmEmail(tokenOf(linkIn(link!, `${ISSUER}/verify-email?token=`)))).ok);
      const notice = inbox(user.email).findLast((mail) => mail.text.includes("/restore-email?token="));
      return tokenOf(linkIn(notice!, `${ISSUER}/restore-email?token=`));
    }

    test("the old address is mailed an undo link for 7 days: it puts the address back, verified, voids every link, ends every session and revokes every app", async () => {
      const { hooked, revoked, ended } = hookedAccounts();
      const old = address("uma");
      const uma = await users.create({
        email: old,
        password: "the original one",
        name: "Uma",
        emailVerified: true,
      });
      const sessions = new SessionStore(db);
      await sessions.create({ userId: uma.id, persistent: true });
      await new GrantStore(db).remember(uma.id, "some-app", ["openid"]);

      // Someone who knew the password moves the account to an address of theirs.
      const theirs = address("uma-attacker");
      const undo = await moveAndUndoLink(hooked, uma.id, theirs);
      await sessions.create({ userId: uma.id, persistent: true });
      const notice = inbox(old).at(-1)!;
      assert.match(notice.subject, /email address was changed/);
      assert.match(notice.text, /Hello Uma,/);
      assert.match(notice.text, new RegExp(`changed to ${theirs.replaceAll(".", "\\.")}`));
      assert.match(notice.text, /This wasn't me — keep my old address:/);
      assert.match(
        notice.text,
        /The link works once, for 7 days, and only until the address is changed again\./,
      );
      assert.doesNotMatch(notice.text, /contact the people who run/);
      const link = linkIn(notice, `${ISSUER}/restore-email?token=`);
      assert.ok(notice.html.includes(link.replaceAll("&", "&amp;")), "the HTML part carries the same link");
      const row = await db.accountToken.findFirst({ where: { userId: uma.id, purpose: "restore_email" } });
      assert.equal(row?.email, old);
      assert.match(row!.secretHash, /^[0-9a-f]{64}$/);
      assert.ok(!link.includes(row!.secretHash), "only a hash of the secret is stored");
      const lifetime = row!.expiresAt.getTime() - row!.createdAt.getTime();
      assert.ok(Math.abs(lifetime - 7 * 24 * 3600_000) < 5000, `lifetime ${lifetime}`);

      // They hold links of their own: a reset from their address, a move to yet another address.
      assert.deepEqual(await hooked.requestPasswordReset(theirs, undefined), { ok: true });
      const reset = tokenOf(linkIn(inbox(theirs).at(-1)!, `${ISSUER}/reset-password?token=`));
      const further = address("uma-further");
      assert.deepEqual(await hooked.requestEmailChange((await users.findById(uma.id))!, further, undefined), {
        ok: true,
      });
      const change = tokenOf(linkIn(inbox(further).at(-1)!, `${ISSUER}/verify-email?token=`));

      // Opening the link changes nothing.
      const inspected = await hooked.inspectRestoreLink(undo);
      assert.ok(inspected.ok);
      assert.equal(inspected.email, old);
      assert.equal(inspected.user.email, theirs);
      assert.equal((await users.findById(uma.id))?.email, theirs);

      const restored = await hooked.restoreEmail(undo, "the owner's new passphrase");
      assert.ok(restored.ok);
      assert.equal(restored.user.email, old);
      assert.ok(restored.user.emailVerifiedAt instanceof Date);
      assert.deepEqual(await sessions.list(uma.id), [], "every session ended");
      assert.deepEqual(await new GrantStore(db).list(uma.id), [], "remembered decisions forgotten");
      assert.equal(await db.accountToken.count({ where: { userId: uma.id } }), 0, "every link void");
      assert.deepEqual(ended, [{ subject: uma.id }], "the server is told every session ended");
      assert.deepEqual(revoked, [uma.id], "every app's access is revoked");
      assert.deepEqual(await hooked.resetPassword(reset, "the attacker's new one"), {
        ok: false,
        problem: "invalid",
      });
      assert.deepEqual(await hooked.confirmEmail(change), { ok: false, problem: "invalid" });
      assert.equal((await users.findById(uma.id))?.email, old);

      // The password is the one chosen on the link's page: whoever moved the account may know the old one.
      const credentials = await users.findCredentials(old);
      assert.ok(await verifyPassword(credentials?.passwordHash, "the owner's new passphrase"));

      // Single use.
      assert.deepEqual(await hooked.restoreEmail(undo, "yet another passphrase"), {
        ok: false,
        problem: "invalid",
      });
      assert.deepEqual(await hooked.inspectRestoreLink(undo), { ok: false, problem: "invalid" });

      // A reset from the old address reaches the account again.
      assert.deepEqual(await hooked.requestPasswordReset(old, undefined), { ok: true });
      const mine = tokenOf(linkIn(inbox(old).at(-1)!, `${ISSUER}/reset-password?token=`));
      assert.ok((await hooked.resetPassword(mine, "a brand new passphrase")).ok);
      assert.ok(
        await verifyPassword((await users.findCredentials(old))?.passwordHash, "a brand new passphrase"),
      );
    });

    test("an undo link whose old address another account took meanwhile is refused and changes nothing", async () => {
      const old = address("vic");
      const vic = await users.create({ email: old, password: "the original one", emailVerified: true });
      const theirs = address("vic-new");
      const undo = await moveAndUndoLink(accounts, vic.id, theirs);
      const sessions = new SessionStore(db);
      await sessions.create({ userId: vic.id, persistent: false });
      const squatter = await users.create({ email: old, password: "someone else's" });

      assert.deepEqual(await accounts.inspectRestoreLink(undo), { ok: false, problem: "taken" });
      assert.deepEqual(await accounts.restoreEmail(undo, "vic's new passphrase"), {
        ok: false,
        problem: "taken",
      });
      assert.equal((await users.findById(vic.id))?.email, theirs);
      assert.equal((await users.findById(squatter.id))?.email, old);
      assert.equal((await sessions.list(vic.id)).length, 1, "nobody was signed out");
      assert.equal(await db.accountToken.count({ where: { userId: vic.id, purpose: "restore_email" } }), 1);

      // Once the address is free again, the same link still works.
      await users.delete(old);
      assert.ok((await accounts.restoreEmail(undo, "vic's new passphrase")).ok);
      assert.equal((await users.findById(vic.id))?.email, old);
    });

    test("an undo link outlives a new password but not a later change of address; it expires after 7 days", async () => {
      const first = address("wes");
      const wes = await users.create({ email: first, password: "the original one", emailVerified: true });
      const second = address("wes-2");
      const undoFirst = await moveAndUndoLink(accounts, wes.id, second);
      // Whoever moved the account cannot take the way back away by changing or resetting the password.
      await accounts.setPassword(wes.id, "a new passphrase", "no-such-sid");
      assert.deepEqual(await accounts.requestPasswordReset(second, undefined), { ok: true });
      const reset = tokenOf(linkIn(inbox(second).at(-1)!, `${ISSUER}/reset-password?token=`));
      assert.ok((await accounts.resetPassword(reset, "another new passphrase")).ok);
      assert.ok((await accounts.inspectRestoreLink(undoFirst)).ok);

      // A later change: only the newest undo link works, and it goes to the address just left.
      const third = address("wes-3");
      const undoSecond = await moveAndUndoLink(accounts, wes.id, third);
      assert.deepEqual(await accounts.restoreEmail(undoFirst, "wes's new passphrase"), {
        ok: false,
        problem: "invalid",
      });
      assert.equal((await users.findById(wes.id))?.email, third);

      const [id] = undoSecond.split(".") as [string];
      await db.accountToken.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      assert.deepEqual(await accounts.inspectRestoreLink(undoSecond), { ok: false, problem: "expired" });
      assert.deepEqual(await accounts.restoreEmail(undoSecond, "wes's new passphrase"), {
        ok: false,
        problem: "expired",
      });
      assert.equal((await users.findById(wes.id))?.email, third);
      // Forged and tampered undo links, and links of other purposes, change nothing.
      const [, secret] = undoSecond.split(".") as [string, string];
      const tampered = `${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
      const verify = await issueToken(db, { userId: wes.id, purpose: "verify_email", email: third });
      for (const bad of [tampered, "", "x.y", 42, undefined, verify]) {
        assert.deepEqual(
          await accounts.restoreEmail(bad, "wes's new passphrase"),
          { ok: false, problem: "invalid" },
          String(bad),
        );
      }
      assert.equal((await users.findById(wes.id))?.email, third);
    });

    test("a mail server that is down: the request reports it, the log says why, and no account is left behind", async () => {
      const log = memoryLog();
      const down = createMailer({
        smtpUrl: `smtp://127.0.0.1:${await freePort()}`,
        from: "x@example.test",
        log,
      });
      const offline = new Accounts({ db, mailer: down, issuer: ISSUER, signupOpen: true });
      const email = address("hal");
      assert.deepEqual(
        await offline.signUp({ name: "Hal", email, password: "a long passphrase" }, undefined),
        {
          ok: false,
          code: "mail_failed",
        },
      );
      assert.equal(await users.findByEmail(email), null);
      assert.equal(await db.accountToken.count({ where: { email } }), 0, "no link was stored");
      assert.ok(
        log.lines.some((line) => /^error could not send an email .*ECONNREFUSED/.test(line)),
        log.lines.join("\n"),
      );
      // Nothing was left behind: once mail works, the same sign-up makes the account.
      assert.deepEqual(
        await accounts.signUp({ name: "Hal", email, password: "a long passphrase" }, undefined),
        {
          ok: true,
        },
      );
      assert.equal((await users.findByEmail(email))?.name, "Hal");
      assert.match(inbox(email)[0]?.subject ?? "", /Confirm your email address/);
      // A reset asked for while mail is down takes nothing away: the link already mailed still works.
      const ivy = await users.create({ email: address("ivy"), password: "the original one" });
      assert.deepEqual(await accounts.requestPasswordReset(ivy.email, undefined), { ok: true });
      const mailed = tokenOf(linkIn(inbox(ivy.email).at(-1)!, `${ISSUER}/reset-password?token=`));
      assert.deepEqual(await offline.requestPasswordReset(ivy.email, undefined), {
        ok: false,
        code: "mail_failed",
      });
      assert.equal(await db.accountToken.count({ where: { userId: ivy.id, purpose: "reset_password" } }), 1);
      assert.ok((await accounts.inspectResetLink(mailed)).ok, "the link mailed before still works");
      assert.ok((await accounts.resetPassword(mailed, "a newer passphrase")).ok);
    });

    test("without SMTP_URL each message and its link go to the log", async () => {
      const log = memoryLog();
      const logged = new Accounts({
        db,
        mailer: createMailer({ smtpUrl: undefined, from: "x@example.test", log }),
        issuer: ISSUER,
        signupOpen: false,
      });
      const email = address("ida");
      assert.deepEqual(
        await logged.signUp({ name: "Ida", email, password: "a long passphrase" }, undefined),
        { ok: true },
      );
      assert.ok(
        log.lines.some((line) => line.includes(`${ISSUER}/verify-email?token=`) && line.includes(email)),
      );
    });
  });
}
