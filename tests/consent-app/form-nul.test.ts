/**
 * A form field holding U+0000, over real HTTP through the pages (the compiled
 * server: `npm run build` first), answered alike on both backends.
 * PostgreSQL's text refuses the character, SQLite stores and compares it:
 * ending a session named "x\0y" on the account page was a 500 on PostgreSQL
 * and a quiet "session ended" on SQLite.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SessionStore } from "@/lib/session/store.ts";
import { UserStore } from "@/lib/users/store.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS } from "@/tests/support/server.ts";
import { startedPortico } from "@/tests/support/started.ts";

for (const backend of BACKENDS) {
  describe(`a form field holding a NUL character (${backend})`, { timeout: 180_000 }, () => {
    const fixture = startedPortico({ backend, compiled: true });

    test("ending a session named with U+0000 on the account page is refused as a bad field", async () => {
      const email = "nul-in-forms@example.com";
      const password = "a long passphrase for the nul test";
      const person = await new UserStore(fixture.db).create({ email, password, name: "Nul Tester" });
      const other = await new SessionStore(fixture.db).create({
        userId: person.id,
        persistent: false,
        userAgent: "other",
      });

      const browser = new PageClient(fixture.portico.url, fixture.portico.url);
      const login = await browser.follow(await browser.get("/login"));
      const signedIn = await browser.submit(login.url ?? "/login", login.body, { email, password });
      assert.equal(signedIn.status, 303, signedIn.body.slice(0, 300));
      const account = await browser.get("/account");
      assert.equal(account.status, 200);
      assert.ok(account.body.includes(`value="${other.session.sid}"`), "the other session can be ended");

      const answer = await browser.submit("/account", account.body, { sid: "x\u0000y" });
      assert.equal(answer.status, 200, `a form's refusal, not a server error: ${answer.body.slice(0, 300)}`);
      assert.match(answer.body, /Please correct the highlighted fields/);
      assert.equal(await fixture.db.session.count({ where: { userId: person.id } }), 2, "no session ended");
    });
  });
}
