import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Logger } from "@/common/log.ts";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { Accounts } from "@/lib/accounts/accounts.ts";
import { createMailer } from "@/lib/mail/transport.ts";
import { PUBLIC_FIELDS } from "@/lib/users/store.ts";
import { linkIn, type Mailbox, type ReceivedMail, startMailbox } from "@/tests/support/mailbox.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

const ISSUER = "https://login.example.test";

/**
 * Anyone can sign up with anyone's address, and the name they type went into
 * the greeting of every email to that address ("Hello <name>,"): 200
 * characters of their own text, links included, in an email from this site to
 * a stranger. A name is only used once the address is confirmed.
 */
const LURE = "your account is locked. Restore it at https://restore.attacker.example/now -";

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };

let tag = 0;
const address = (name: string) => `${name}-${process.pid}-${++tag}@example.com`;

function assertNoLure(mail: ReceivedMail | undefined): void {
  assert.ok(mail, "a message was sent");
  for (const part of [mail.subject, mail.text, mail.html]) {
    assert.ok(!part.includes("restore.attacker.example"), `${mail.subject}:\n${part}`);
    assert.ok(!part.includes("account is locked"), `${mail.subject}:\n${part}`);
  }
  assert.match(mail.text, /^Hello,$/m);
}

for (const backend of BACKENDS) {
  describe(`accounts: whose words an email carries (${backend})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    let mailbox: Mailbox;
    let accounts: Accounts;
    const inbox = (to: string) => mailbox.messages().filter((mail) => mail.to.includes(to));

    before(async () => {
      const fresh = await freshDatabase(backend);
      drop = fresh.drop;
      await migrate(fresh.url);
      db = createDatabase(fresh.url);
      mailbox = await startMailbox();
      const mailer = createMailer({
        smtpUrl: mailbox.smtpUrl,
        from: "Portico <no-reply@example.test>",
        log: quiet,
      });
      accounts = new Accounts({ db, mailer, issuer: ISSUER, signupOpen: true });
    });
    after(async () => {
      await mailbox.stop();
      await db.$disconnect();
      await drop();
    });

    test("sign-up with a stranger's address: the name typed is in none of the emails that address gets", async () => {
      const victim = address("victim");
      assert.deepEqual(
        await accounts.signUp({ name: LURE, email: victim, password: "a long passphrase" }, undefined),
        { ok: true },
      );
      assertNoLure(inbox(victim)[0]);

      // The unconfirmed account's owner asks for its password, or someone signs up with it again.
      assert.deepEqual(await accounts.requestPasswordReset(victim, undefined), { ok: true });
      assertNoLure(inbox(victim)[1]);
      await accounts.signUp({ name: "Someone", email: victim, password: "a long passphrase" }, undefined);
      assertNoLure(inbox(victim)[2]);
      assert.equal(inbox(victim).length, 3);

      // The one who signed up asks for a resend, or moves the account away: still not their words.
      await db.loginThrottle.deleteMany({}); // three free emails per address: start over
      const user = await db.user.findUniqueOrThrow({ where: { email: victim }, select: PUBLIC_FIELDS });
      assert.deepEqual(await accounts.resendVerification(user, undefined), { ok: true });
      assertNoLure(inbox(victim)[3]);
      const elsewhere = address("attacker");
      assert.deepEqual(await accounts.requestEmailChange(user, elsewhere, undefined), { ok: true });
      assertNoLure(inbox(elsewhere)[0]);
      const link = new URL(linkIn(inbox(elsewhere)[0]!, `${ISSUER}/verify-email`));
      assert.ok((await accounts.confirmEmail(link.searchParams.get("token"))).ok);
      const notice = inbox(victim)[4];
      assert.match(notice?.subject ?? "", /email address was changed/);
      assertNoLure(notice);
      // It sends nobody to a reset from this address, which no longer names the account.
      assert.doesNotMatch(notice?.text ?? "", /forgot-password/);
      assert.match(notice?.text ?? "", /will no longer reach it/);
      // The way back is the undo link, which puts this address back first.
      assert.ok(linkIn(notice!, `${ISSUER}/restore-email?token=`));
    });

    test("once the address is confirmed, its owner is greeted by name", async () => {
      const email = address("ann");
      await accounts.signUp({ name: "Ann Example", email, password: "a long passphrase" }, undefined);
      const link = new URL(linkIn(inbox(email)[0]!, `${ISSUER}/verify-email`));
      assert.ok((await accounts.confirmEmail(link.searchParams.get("token"))).ok);
      assert.deepEqual(await accounts.requestPasswordReset(email, undefined), { ok: true });
      assert.match(inbox(email)[1]?.text ?? "", /^Hello Ann Example,$/m);
    });
  });
}
