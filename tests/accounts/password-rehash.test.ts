/**
 * A password hash made with other Argon2 parameters than the current ones (a fork that raised the
 * cost in lib/users/passwords.ts, or hashes from before a change of the defaults) is made again
 * with the current ones at the person's next sign-in, over real HTTP through the pages (the
 * compiled server: `npm run build` first). Until then such an account's sign-in is cheaper than an
 * unknown email's (checked against a dummy hash of the current parameters), and its hash weaker.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Algorithm, hash } from "@node-rs/argon2";
import { needsRehash } from "@/lib/users/passwords.ts";
import { UserStore } from "@/lib/users/store.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";
import { startedPortico } from "@/tests/support/started.ts";

const CHEAP = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 };

async function signIn(portico: Portico, email: string, password: string) {
  const browser = new PageClient(portico.url, portico.url);
  const login = await browser.follow(await browser.get("/login"));
  return browser.submit(login.url ?? "/login", login.body, { email, password });
}

for (const backend of BACKENDS) {
  describe(`a password hash of earlier parameters (${backend})`, { timeout: 180_000 }, () => {
    const fixture = startedPortico({ backend, compiled: true });

    test("is made again with the current parameters at the next sign-in, and the password still works", async () => {
      const email = "cheap-hash@example.com";
      const password = "a long passphrase for the rehash test";
      const person = await new UserStore(fixture.db).create({ email, password, name: "Cheap Hash" });
      const cheap = await hash(password, CHEAP);
      await fixture.db.user.update({
        where: { id: person.id },
        data: { passwordHash: cheap, updatedAt: person.updatedAt },
      });
      assert.ok(needsRehash(cheap));

      const wrong = await signIn(fixture.portico, email, "not the password at all");
      assert.equal(wrong.status, 200);
      assert.equal(
        (await fixture.db.user.findUniqueOrThrow({ where: { id: person.id } })).passwordHash,
        cheap,
      );

      const signedIn = await signIn(fixture.portico, email, password);
      assert.equal(signedIn.status, 303, signedIn.body.slice(0, 300));
      const after = await fixture.db.user.findUniqueOrThrow({ where: { id: person.id } });
      assert.notEqual(after.passwordHash, cheap);
      assert.match(after.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal(needsRehash(after.passwordHash), false);
      assert.equal(
        after.updatedAt.getTime(),
        person.updatedAt.getTime(),
        "updated_at: the profile did not change",
      );

      const again = await signIn(fixture.portico, email, password);
      assert.equal(again.status, 303, "the new hash takes the same password");
      assert.equal(
        (await fixture.db.user.findUniqueOrThrow({ where: { id: person.id } })).passwordHash,
        after.passwordHash,
      );
    });

    test("two sign-ins at once both rehash: both are signed in, and the account keeps one of their hashes", async () => {
      const email = "cheap-hash-twice@example.com";
      const password = "another long passphrase for the rehash race";
      const person = await new UserStore(fixture.db).create({ email, password, name: "Twice" });
      const cheap = await hash(password, CHEAP);
      await fixture.db.user.update({ where: { id: person.id }, data: { passwordHash: cheap } });
      const [first, second] = await Promise.all([
        signIn(fixture.portico, email, password),
        signIn(fixture.portico, email, password),
      ]);
      assert.equal(first.status, 303, first.body.slice(0, 300));
      assert.equal(second.status, 303, second.body.slice(0, 300));
      const after = await fixture.db.user.findUniqueOrThrow({ where: { id: person.id } });
      assert.equal(needsRehash(after.passwordHash), false);
      assert.equal((await signIn(fixture.portico, email, password)).status, 303);
    });
  });
}
