/**
 * A person keeps at most MAX_SESSIONS_PER_PERSON sign-in sessions, over real
 * HTTP through the pages (the compiled server: `npm run build` first), on
 * every backend: a sign-in past the cap ends the least recently used one in
 * the transaction that stores the new one, and the app that session signed
 * in to is sent a logout token, as for any other session that ends.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { createDatabase, type Database } from "@/db/client.ts";
import { MAX_SESSIONS_PER_PERSON, SessionStore } from "@/lib/session/store.ts";
import { UserStore } from "@/lib/users/store.ts";
import { Receiver } from "@/tests/oidc/back-channel-receiver.ts";
import { PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const REDIRECT_URI = "https://rp.example.test/cb";

for (const backend of BACKENDS) {
  describe(`at most ${MAX_SESSIONS_PER_PERSON} sessions per person (${backend})`, {
    timeout: 180_000,
  }, () => {
    let portico: Portico;
    let db: Database;
    let receiver: Receiver;
    let client: { id: string; secret: string };

    before(async () => {
      portico = await startPortico({ backend, compiled: true });
      db = createDatabase(portico.databaseUrl);
      receiver = await new Receiver().start();
      const created = await portico.call("/clients", {
        token: await portico.rootToken("hydra.clients"),
        json: {
          client_name: "Capped RP",
          redirect_uris: [REDIRECT_URI],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          scope: "openid",
          backchannel_logout_uri: receiver.url,
          backchannel_logout_session_required: true,
        },
      });
      assert.equal(created.status, 201, await created.clone().text());
      const body = (await created.json()) as { id: string; client_secret: string };
      client = { id: body.id, secret: body.client_secret };
    });

    after(async () => {
      await db?.$disconnect();
      await portico?.stop();
      await receiver?.stop();
    });

    /** Signs in on the sign-in page of a new browser; the browser and the page's answer. */
    async function signIn(email: string, password: string, target = "/login") {
      const browser = new PageClient(portico.url, portico.url);
      const login = await browser.follow(await browser.get(target));
      assert.ok(login.body.includes('name="password"'), `a sign-in form (${login.url})`);
      const signedIn = await browser.submit(login.url ?? target, login.body, { email, password });
      assert.equal(signedIn.status, 303, `the sign-in form's answer: ${signedIn.body.slice(0, 500)}`);
      return { browser, signedIn };
    }

    test("a sign-in past the cap ends the least recently used session, and its app is told", async () => {
      const email = "many-browsers@example.com";
      const password = "a long passphrase for many browsers";
      const person = await new UserStore(db).create({ email, password, name: "Many Browsers" });

      // The oldest session signs in to an app, which learns its sid from the ID token.
      const auth = new URLSearchParams({
        client_id: client.id,
        redirect_uri: REDIRECT_URI,
        response_type: "code",
        scope: "openid",
        state: "state-of-the-rp",
        nonce: "nonce-of-the-rp",
      });
      const { browser: oldest, signedIn } = await signIn(email, password, `/oauth2/auth?${auth}`);
      const ask = await oldest.follow(signedIn);
      const allowed = await oldest.submit(ask.url as string, ask.body, {
        decision: "allow",
        scope: ["openid"],
      });
      const back = await oldest.follow(allowed);
      const code = new URL(back.url as string).searchParams.get("code") as string;
      const token = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI }),
      });
      assert.equal(token.status, 200, await token.clone().text());
      const { sid } = decodeJwt(((await token.json()) as { id_token: string }).id_token);
      assert.ok(typeof sid === "string");
      assert.equal((await oldest.get("/account")).status, 200, "signed in");

      // Sessions of other browsers, each used more recently, up to the cap.
      const sessions = new SessionStore(db);
      for (let i = 1; i < MAX_SESSIONS_PER_PERSON; i++) {
        await sessions.create({ userId: person.id, persistent: false, userAgent: `browser ${i}` });
      }
      assert.equal(await db.session.count({ where: { userId: person.id } }), MAX_SESSIONS_PER_PERSON);
      assert.equal(receiver.tokens.length, 0);

      const { browser: newest } = await signIn(email, password);
      assert.equal((await newest.get("/account")).status, 200, "the new sign-in holds");
      const rows = await db.session.findMany({ where: { userId: person.id }, select: { sid: true } });
      assert.equal(rows.length, MAX_SESSIONS_PER_PERSON, "never more than the cap");
      assert.ok(!rows.some((row) => row.sid === sid), "the least recently used session ended");
      const account = await oldest.get("/account");
      assert.equal(account.status, 307, "its browser is signed out");
      assert.match(account.location ?? "", /\/login/);

      const [logoutToken] = await receiver.waitFor(1);
      const { payload } = await jwtVerify(
        logoutToken as string,
        createRemoteJWKSet(new URL(`${portico.url}/.well-known/jwks.json`)),
        { issuer: portico.url, audience: client.id },
      );
      assert.equal(payload.sid, sid, "the app of the ended session is told");
      assert.equal(payload.sub, person.id);
    });
  });
}
