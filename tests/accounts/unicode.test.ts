/**
 * Text beyond ASCII through the pages, over real HTTP (the compiled server:
 * `npm run build` first), on both backends.
 *
 * Passwords: the same password may reach the server composed (NFC: "é" as
 * U+00E9) from one keyboard and decomposed (NFD: "e" and U+0301) from
 * another, or in full-width forms from an input method; NIST SP 800-63B
 * §5.1.1.2 asks that it be normalised (NFKC), so each signs in, and the
 * rules for a new password judge what is hashed.
 *
 * Addresses at an internationalised domain: a browser sends an email field's
 * `anna@bücher.example` as `anna@xn--bcher-kva.example`, and that is the
 * account; typed in Unicode where nothing converts it (the deletion
 * confirmation is a text field), it is the same address.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Algorithm, hash } from "@node-rs/argon2";
import { createDatabase, type Database } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const COMPOSED = "crème brûlée à Zürich, s'il vous plaît";
const DECOMPOSED = COMPOSED.normalize("NFD");

for (const backend of BACKENDS) {
  describe(`passwords and addresses beyond ASCII (${backend})`, { timeout: 180_000 }, () => {
    let portico: Portico;
    let db: Database;

    before(async () => {
      assert.notEqual(COMPOSED, DECOMPOSED);
      portico = await startPortico({ backend, compiled: true });
      db = createDatabase(portico.databaseUrl);
    });

    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
    });

    /** Submits the sign-in page of a new browser: its status (303 signed in, 200 refused). */
    async function signIn(email: string, password: string): Promise<number> {
      return (await signedIn(email, password)).status;
    }

    /** The sign-in page of a new browser, submitted: the browser, and the form's answer's status. */
    async function signedIn(
      email: string,
      password: string,
    ): Promise<{ browser: PageClient; status: number }> {
      const browser = new PageClient(portico.url, portico.url);
      const login = await browser.follow(await browser.get("/login"));
      const answer = await browser.submit(login.url ?? "/login", login.body, { email, password });
      return { browser, status: answer.status };
    }

    test("a password set composed signs in typed decomposed, and the other way round", async () => {
      await new UserStore(db).create({ email: "composed@example.com", password: COMPOSED, name: "Composed" });
      await new UserStore(db).create({
        email: "decomposed@example.com",
        password: DECOMPOSED,
        name: "Decomposed",
      });
      assert.equal(await signIn("composed@example.com", DECOMPOSED), 303, "NFC set, NFD typed");
      assert.equal(await signIn("decomposed@example.com", COMPOSED), 303, "NFD set, NFC typed");
      assert.equal(await signIn("composed@example.com", COMPOSED), 303, "NFC set, NFC typed");
      assert.equal(await signIn("decomposed@example.com", DECOMPOSED), 303, "NFD set, NFD typed");
      assert.equal(await signIn("composed@example.com", "creme brulee a Zurich, s'il vous plait"), 200);
    });

    test("a password set in full-width forms signs in typed in ASCII, and the other way round", async () => {
      const wide = "ｗｉｄｅ ｏｒｃｈｉｄ ｌａｎｔｅｒｎ ４２";
      const ascii = "wide orchid lantern 42";
      await new UserStore(db).create({ email: "wide@example.com", password: wide, name: "Wide" });
      await new UserStore(db).create({ email: "narrow@example.com", password: ascii, name: "Narrow" });
      assert.equal(await signIn("wide@example.com", ascii), 303, "full-width set, ASCII typed");
      assert.equal(await signIn("narrow@example.com", wide), 303, "ASCII set, full-width typed");
    });

    test("a common password in full-width forms is refused as the common password it is", async () => {
      const password = "a long passphrase to change";
      await new UserStore(db).create({ email: "changer@example.com", password, name: "Changer" });
      const { browser, status } = await signedIn("changer@example.com", password);
      assert.equal(status, 303);
      const account = await browser.get("/account");
      const answer = await browser.submit("/account", account.body, {
        current: password,
        password: "ｐａｓｓｗｏｒｄ１２３",
      });
      assert.equal(answer.status, 200, answer.body.slice(0, 300));
      assert.match(answer.body, /one of the most common passwords/);
      assert.equal(await signIn("changer@example.com", password), 303, "the password is unchanged");
    });

    test("a hash made from a decomposed password before passwords were normalised still signs in", async () => {
      const person = await new UserStore(db).create({
        email: "legacy@example.com",
        password: "a placeholder passphrase",
        name: "Legacy",
      });
      const legacy = await hash(DECOMPOSED, {
        algorithm: 2 as Algorithm.Argon2id,
        memoryCost: 19_456,
        timeCost: 2,
        parallelism: 1,
      });
      await db.user.update({ where: { id: person.id }, data: { passwordHash: legacy } });
      assert.equal(await signIn("legacy@example.com", DECOMPOSED), 303);
    });

    test("an address at an internationalised domain is one account, typed in Unicode or in punycode", async () => {
      const password = "a long passphrase for bücher";
      // As a browser's email field sends "anna@bücher.example".
      await new UserStore(db).create({ email: "anna@xn--bcher-kva.example", password, name: "Anna" });
      assert.equal(await signIn("anna@xn--bcher-kva.example", password), 303);
      assert.equal(await signIn("anna@bücher.example", password), 303, "typed in Unicode");
      assert.equal(await signIn("Anna@BÜCHER.example", password), 303, "in capitals");
    });

    test("deleting an account at an internationalised domain: its address typed in Unicode confirms it", async () => {
      const password = "a long passphrase for müller";
      const person = await new UserStore(db).create({
        email: "jo@xn--mller-kva.example",
        password,
        name: "Jo Müller",
      });
      const { browser, status } = await signedIn("jo@xn--mller-kva.example", password);
      assert.equal(status, 303);
      const account = await browser.get("/account");
      assert.equal(account.status, 200);
      const answer = await browser.submit("/account", account.body, { confirmation: "jo@müller.example" });
      assert.equal(answer.status, 303, answer.body.slice(0, 300));
      assert.equal(await db.user.count({ where: { id: person.id } }), 0, "the account is deleted");
    });
  });
}
