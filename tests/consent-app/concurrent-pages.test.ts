/**
 * The pages' writes when the same person's requests arrive at once, over
 * real HTTP through a server of two worker processes (the compiled server:
 * `npm run build` first) on every backend: each write is one transaction, so
 * whatever order the requests commit in, none answers a 5xx and the
 * invariants hold: a person deleted from several tabs at once is deleted
 * once, and every tab is answered; a sign-in with the old password at the
 * moment the password changes never leaves a session that outlives the
 * change (which ends every other session).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UserStore } from "@/lib/users/store.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS } from "@/tests/support/server.ts";
import { startedPortico } from "@/tests/support/started.ts";

const ROUNDS = 6;

for (const backend of BACKENDS) {
  describe(`the same person's requests at once, two workers (${backend})`, { timeout: 300_000 }, () => {
    const fixture = startedPortico({ backend, compiled: true, env: { WORKERS: "2" } });

    /** Signs in on the sign-in page of a new browser. */
    async function signIn(email: string, password: string): Promise<PageClient> {
      const browser = new PageClient(fixture.portico.url, fixture.portico.url);
      const login = await browser.follow(await browser.get("/login"));
      const signedIn = await browser.submit(login.url ?? "/login", login.body, { email, password });
      assert.equal(signedIn.status, 303, `the sign-in form's answer: ${signedIn.body.slice(0, 500)}`);
      return browser;
    }

    test("deleting the account from several tabs at once: every tab is answered, the person is deleted once", async () => {
      for (let round = 1; round <= ROUNDS; round++) {
        const email = `deleted-at-once-${round}@example.com`;
        const password = "a long passphrase to delete";
        const person = await new UserStore(fixture.db).create({ email, password, name: "Deleted At Once" });
        const tabs: PageClient[] = [];
        for (let n = 0; n < 6; n++) tabs.push(await signIn(email, password));
        const pages = await Promise.all(tabs.map((tab) => tab.get("/account")));
        const answers = await Promise.all(
          tabs.map((tab, n) => tab.submit("/account", pages[n]?.body ?? "", { confirmation: email })),
        );
        for (const answer of answers) {
          assert.ok(answer.status < 500, `round ${round}: ${answer.status} ${answer.body.slice(0, 300)}`);
        }
        assert.equal(await fixture.db.user.count({ where: { id: person.id } }), 0, "the person is gone");
        assert.equal(
          await fixture.db.session.count({ where: { userId: person.id } }),
          0,
          "so are their sessions",
        );
        for (const tab of tabs) {
          const account = await tab.get("/account");
          assert.equal(account.status, 307, "every tab is signed out");
        }
      }
    });

    test("sign-ins with the old password while it changes: none keeps a session past the change", async () => {
      const email = "changed-at-once@example.com";
      let password = "the passphrase of round 0";
      await new UserStore(fixture.db).create({ email, password, name: "Changed At Once" });
      const changer = await signIn(email, password);
      for (let round = 1; round <= 16; round++) {
        const next = `the passphrase of round ${round}`;
        const account = await changer.get("/account");
        const others = await Promise.all(
          [1, 2].map(async () => {
            const browser = new PageClient(fixture.portico.url, fixture.portico.url);
            return { browser, login: await browser.follow(await browser.get("/login")) };
          }),
        );
        const [changed, ...signIns] = await Promise.all([
          changer.submit("/account", account.body, { current: password, password: next }),
          ...others.map(({ browser, login }) =>
            browser.submit(login.url ?? "/login", login.body, { email, password }),
          ),
        ]);
        for (const answer of [changed, ...signIns]) {
          assert.ok(answer.status < 500, `round ${round}: ${answer.status} ${answer.body.slice(0, 300)}`);
        }
        // Throttled (several attempts at once from one address), the change may be refused: then
        // nothing changed, and the sign-ins may hold.
        if (!(changed.status === 303 && changed.location?.includes("done=password"))) continue;
        password = next;
        for (const [n, { browser }] of others.entries()) {
          const page = await browser.get("/account");
          assert.equal(
            page.status,
            307,
            `round ${round}: a sign-in with the old password (answered ${signIns[n]?.status}) outlived the change`,
          );
        }
        assert.equal((await changer.get("/account")).status, 200, "the session that changed it holds");
      }
    });
  });
}
