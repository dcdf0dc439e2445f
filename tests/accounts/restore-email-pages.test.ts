/**
 * The undo of a change of address, over HTTP against a started Portico
 * (the production build: `npm run build` first) whose mail goes to a real
 * SMTP server: the notice to the old address carries the link; opening it
 * changes nothing; its page's form (a POST with the session's CSRF token)
 * puts the old address back, ends every session of the person and uses the
 * link up. Each form is sent as a browser without JavaScript sends it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { issueToken } from "@/tests/accounts/links.ts";
import { linkIn, type Mailbox, startMailbox, waitForMail } from "@/tests/support/mailbox.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

/** Signs `browser` in through the sign-in page; it then holds a session that opens the account page. */
async function signIn(browser: PageClient, email: string, password: string): Promise<void> {
  const page = await browser.get("/login");
  const answer = await browser.submit("/login", page.body, { email, password }, ">Sign in</button>");
  assert.equal(answer.status, 303, answer.body.slice(0, 500));
  assert.equal((await browser.get("/account")).status, 200);
}

let tag = 0;
const address = (name: string) => `${name}-${process.pid}-${++tag}@example.com`;

for (const backend of BACKENDS) {
  describe(`the undo link of a change of address, over HTTP (${backend})`, () => {
    let mailbox: Mailbox;
    let portico: Portico;
    let db: Database;
    let users: UserStore;

    before(async () => {
      mailbox = await startMailbox();
      portico = await startPortico({ backend, compiled: true, env: { SMTP_URL: mailbox.smtpUrl } });
      db = createDatabase(portico.databaseUrl);
      users = new UserStore(db);
    });
    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
      await mailbox?.stop();
    });

    /** A verified person, moved to another address through the link mailed there; answers the undo link's path. */
    async function moved(password: string): Promise<{ id: string; old: string; next: string; undo: string }> {
      const old = address("pia");
      const person = await users.create({ email: old, password, name: "Pia", emailVerified: true });
      const next = address("pia-next");
      const change = await issueToken(db, { userId: person.id, purpose: "change_email", email: next });
      const visitor = new PageClient(portico.url, portico.url);
      const path = `/verify-email?token=${change}`;
      const confirmed = await visitor.submit(
        path,
        (await visitor.get(path)).body,
        {},
        ">Use this email address</button>",
      );
      assert.equal(confirmed.location, "/verify-email?done=1");
      const notice = await waitForMail(mailbox.httpUrl, old);
      assert.match(notice.text, new RegExp(`changed to ${next.replaceAll(".", "\\.")}`));
      assert.match(notice.text, /for 7 days/);
      const link = new URL(linkIn(notice, `${portico.url}/restore-email?token=`));
      return { id: person.id, old, next, undo: `${link.pathname}${link.search}` };
    }

    test("opening the link changes nothing; its form, with the CSRF token and a new password, puts the old address back, signs every browser out, and works once", async () => {
      const password = "a long passphrase 4711";
      const { id, old, next, undo } = await moved(password);
      const here = new PageClient(portico.url, portico.url);
      const elsewhere = new PageClient(portico.url, portico.url);
      await signIn(here, next, password);
      await signIn(elsewhere, next, password);
      assert.equal(await db.session.count({ where: { userId: id } }), 2);

      const page = await here.get(undo);
      assert.equal(page.status, 200);
      assert.match(page.body, /Keep your old email address/);
      assert.ok(page.body.includes(old));
      assert.equal((await users.findById(id))?.email, next, "opening the link changes nothing");

      // A post without this session's CSRF token is refused, and nothing changes.
      const chosen = "the owner's own passphrase 0815";
      const forged = await here.submit(
        undo,
        page.body,
        { csrf: "not-the-token", password: chosen },
        ">Keep my old address</button>",
      );
      assert.equal(forged.status, 200);
      assert.match(forged.body, /This page was open for too long or your session changed/);
      assert.equal((await users.findById(id))?.email, next);
      assert.equal(await db.session.count({ where: { userId: id } }), 2);

      // A weak new password is refused on the page, and nothing changes.
      const weak = await here.submit(
        undo,
        page.body,
        { password: "password" },
        ">Keep my old address</button>",
      );
      assert.equal(weak.status, 200);
      assert.match(weak.body, /Please choose a stronger password/);
      assert.equal((await users.findById(id))?.email, next);
      assert.equal(await db.session.count({ where: { userId: id } }), 2);

      const done = await here.submit(undo, page.body, { password: chosen }, ">Keep my old address</button>");
      assert.equal(done.status, 303);
      assert.equal(done.location, "/restore-email?done=1");
      const after = await users.findById(id);
      assert.equal(after?.email, old);
      assert.ok(after?.emailVerifiedAt instanceof Date);
      assert.equal(await db.session.count({ where: { userId: id } }), 0, "every session ended");
      assert.equal(await db.accountToken.count({ where: { userId: id } }), 0, "every link void");
      const shown = await here.get("/restore-email?done=1");
      assert.match(shown.body, /Your old email address is back/);
      assert.match(shown.body, /href="\/login"/);
      for (const visitor of [here, elsewhere]) {
        const account = await visitor.get("/account");
        assert.equal(account.status, 307, "signed out");
        assert.match(account.location ?? "", /\/login/);
      }

      // Used up: the page says so, and posting its form again changes nothing.
      const again = await here.get(undo);
      assert.match(again.body, /This link does not work/);
      const replay = await here.submit(
        undo,
        page.body,
        {
          csrf: /name="csrf" value="([^"]*)"/.exec((await here.get("/login")).body)?.[1] ?? "",
          password: "another passphrase 4242",
        },
        ">Keep my old address</button>",
      );
      assert.equal(replay.location, "/restore-email?problem=invalid");
      assert.equal((await users.findById(id))?.email, old);

      // The old address signs in with the new password only: whoever moved the account knew the old one.
      const intruder = new PageClient(portico.url, portico.url);
      const tried = await intruder.submit(
        "/login",
        (await intruder.get("/login")).body,
        { email: old, password },
        ">Sign in</button>",
      );
      assert.notEqual(tried.status, 303, "the old password no longer signs in");
      await signIn(new PageClient(portico.url, portico.url), old, chosen);

      // A reset from the old address reaches the account again.
      const forgot = new PageClient(portico.url, portico.url);
      const asked = await forgot.submit(
        "/forgot-password",
        (await forgot.get("/forgot-password")).body,
        { email: old },
        ">Send reset link</button>",
      );
      assert.ok(asked.status === 303 || asked.status === 200, String(asked.status));
      const reset = await waitForMail(mailbox.httpUrl, old, { count: 2 });
      assert.ok(linkIn(reset, `${portico.url}/reset-password?token=`));
    });

    test("an old address another account took meanwhile: the page says so, and the form changes nothing", async () => {
      const password = "a long passphrase 4712";
      const { id, old, next, undo } = await moved(password);
      const visitor = new PageClient(portico.url, portico.url);
      await signIn(visitor, next, password);
      const page = await visitor.get(undo);
      assert.match(page.body, /Keep your old email address/);
      const other = await users.create({ email: old, password: "someone else's passphrase" });

      const refused = await visitor.submit(
        undo,
        page.body,
        { password: "the owner's own passphrase 0816" },
        ">Keep my old address</button>",
      );
      assert.equal(refused.status, 303);
      assert.equal(refused.location, "/restore-email?problem=taken");
      assert.match((await visitor.get(refused.location as string)).body, /Your old address is in use/);
      assert.equal((await users.findById(id))?.email, next);
      assert.equal((await users.findById(other.id))?.email, old);
      assert.equal((await visitor.get("/account")).status, 200, "nobody was signed out");
      assert.match((await visitor.get(undo)).body, /Your old address is in use/);
    });
  });
}
