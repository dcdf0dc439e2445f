/**
 * The login & consent app's forms while the database is unavailable (the
 * PostgreSQL server cut off, or the SQLite file locked by another process):
 * as the API answers 503 with one log line and no stack, a form post answers
 * with its page and a "temporarily unavailable, try again" alert — a 503 for a
 * form posted without JavaScript (Next.js's own action call keeps the 200 its
 * client needs) — never Next.js's 500 and "Something went wrong". Once the
 * database is back the same process serves the forms again. Real server,
 * both backends.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createDatabase } from "@/db/client.ts";
import { UserStore } from "@/lib/users/store.ts";
import { sdk } from "@/tests/hydra2/support.ts";
import { outage, relayedDatabase } from "@/tests/support/outage.ts";
import { type PageAnswer, PageClient } from "@/tests/support/pages.ts";
import { BACKENDS, freshDatabase, startPortico } from "@/tests/support/server.ts";

const REDIRECT_URI = "https://rp.example.test/cb";
const UNAVAILABLE = /temporarily unavailable|cannot reach the sign-in service right now/;

/** Retries a post until it answers `status` (a pool may hand out a connection cut before it notices). */
async function eventually(status: number, post: () => Promise<PageAnswer>): Promise<PageAnswer> {
  let answer = await post();
  for (let tries = 0; answer.status !== status && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    answer = await post();
  }
  return answer;
}

/** A page's text without its scripts (the RSC payload repeats every string). */
const shown = (body: string) => body.replace(/<script[\s\S]*?<\/script>/g, "");

/**
 * Each post (retried until it does) answers `status` with a page that says the service is
 * unavailable (`text`), never Next.js's "Something went wrong".
 */
async function expectUnavailable(
  posts: Array<[string, () => Promise<PageAnswer>]>,
  status = 503,
  text: RegExp = UNAVAILABLE,
): Promise<void> {
  for (const [form, post] of posts) {
    const answer = await eventually(status, post);
    assert.equal(answer.status, status, `${form}: ${answer.status} ${shown(answer.body).slice(0, 1500)}`);
    assert.match(shown(answer.body), text, form);
    assert.doesNotMatch(shown(answer.body), /Something went wrong/, form);
  }
}

// On SQLite the outage is a lock held by another process: each write waits the busy timeout (10 s)
// before it gives up, so a post answers after that.
for (const backend of BACKENDS) {
  describe(`the app's forms while the database is unavailable (${backend})`, { timeout: 300_000 }, () => {
    test("sign-in, sign-up and reset request posted without JavaScript: the alert with a 503, a log line without a stack; back without a restart", async () => {
      const database = await freshDatabase(backend);
      const { databaseUrl, relay } = await relayedDatabase(backend, database.url);
      const portico = await startPortico({ backend, databaseUrl, compiled: true });
      const db = createDatabase(database.url);
      try {
        const email = `outage-${backend}@example.com`;
        const password = "a long passphrase for the outage";
        await new UserStore(db).create({ email, password, name: "Otto Age" });
        const created = await portico.call("/clients", {
          token: await portico.rootToken("hydra.clients"),
          json: { redirect_uris: [REDIRECT_URI], response_types: ["code"], scope: "openid" },
        });
        assert.equal(created.status, 201);
        const clientId = ((await created.json()) as { id: string }).id;

        // Before the outage: a consent screen, the account page, and the anonymous forms, open.
        const consenting = new PageClient(portico.url, portico.url);
        const query = new URLSearchParams({
          response_type: "code",
          client_id: clientId,
          redirect_uri: REDIRECT_URI,
          scope: "openid",
          state: "state-of-the-rp-1",
          nonce: "nonce-of-the-rp-1",
        });
        const login = await consenting.follow(await consenting.get(`/oauth2/auth?${query}`));
        const signedIn = await consenting.submit(login.url as string, login.body, { email, password });
        assert.equal(signedIn.status, 303, signedIn.body.slice(0, 500));
        const ask = await consenting.follow(signedIn);
        assert.equal(ask.status, 200, `the consent screen: ${ask.body.slice(0, 500)}`);

        const owner = new PageClient(portico.url, portico.url);
        const ownLogin = await owner.get("/login");
        assert.equal((await owner.submit("/login", ownLogin.body, { email, password })).status, 303);
        const account = await owner.get("/account");
        assert.equal(account.status, 200);

        const visitor = new PageClient(portico.url, portico.url);
        const signInPage = await visitor.get("/login");
        const signUpPage = await visitor.get("/signup");
        const forgotPage = await visitor.get("/forgot-password");
        for (const page of [signInPage, signUpPage, forgotPage]) assert.equal(page.status, 200);

        const output = portico.output().length;
        await outage(backend, relay, database.url, async () => {
          const posts: Array<[string, () => Promise<PageAnswer>]> = [
            ["sign-in", () => visitor.submit("/login", signInPage.body, { email, password })],
            [
              "sign-up",
              () =>
                visitor.submit("/signup", signUpPage.body, {
                  name: "New Person",
                  email: `new-${backend}@example.com`,
                  password: "another long passphrase",
                }),
            ],
            ["reset request", () => visitor.submit("/forgot-password", forgotPage.body, { email })],
          ];
          await expectUnavailable(posts);

          // Forms on pages that read the database to be drawn again (the signed-in person): the consent
          // screen's Allow, the account page's password change. The page says so with a 503 too.
          const pagePosts: Array<[string, () => Promise<PageAnswer>]> = [
            [
              "consent Allow",
              () => consenting.submit(ask.url as string, ask.body, { decision: "allow", scope: ["openid"] }),
            ],
            [
              "account password change",
              () =>
                owner.submit("/account", account.body, {
                  current: password,
                  password: "a new passphrase now",
                }),
            ],
          ];
          // On PostgreSQL the pages' own loads cannot read either (on SQLite another process's write lock
          // leaves reads alone).
          if (backend === "postgresql") {
            pagePosts.push(
              ["consent screen load", () => consenting.get(ask.url as string)],
              ["account page load", () => owner.get("/account")],
            );
          }
          await expectUnavailable(pagePosts);
        });

        const log = portico.output().slice(output);
        assert.match(log, /"msg":"form action failed: the database is unavailable"/);
        for (const line of log.split("\n")) assert.doesNotMatch(line, /"stack"|"err"/, line);
        assert.ok(!log.includes(password), "the password is not written");

        // Back: the same process serves the forms again.
        const again = await eventually(303, () =>
          visitor.submit("/login", signInPage.body, { email, password }),
        );
        assert.equal(again.status, 303, shown(again.body).slice(0, 1500));
        const allowed = await eventually(303, () =>
          consenting.submit(ask.url as string, ask.body, { decision: "allow", scope: ["openid"] }),
        );
        assert.equal(allowed.status, 303, shown(allowed.body).slice(0, 1500));
        const back = await consenting.follow(allowed);
        assert.ok(
          back.url?.startsWith(`${REDIRECT_URI}?code=`),
          `back at the client with a code: ${back.url}`,
        );
      } finally {
        await db.$disconnect();
        await portico.stop();
        await relay?.down();
        await database.drop();
      }
    });

    test("Hydra 2.x: sign-in Cancel and consent Deny posted without JavaScript answer the API's failure (503, or 504 past HYDRA_TIMEOUT) with the alert", async () => {
      const database = await freshDatabase(backend);
      const { databaseUrl, relay } = await relayedDatabase(backend, database.url);
      const portico = await startPortico({ backend, databaseUrl, compiled: true, hydraV2: true });
      const db = createDatabase(database.url);
      try {
        const email = `outage-v2-${backend}@example.com`;
        const password = "a long passphrase for the outage";
        await new UserStore(db).create({ email, password, name: "Otto Age" });
        await sdk(portico).oauth2.createOAuth2Client({
          oAuth2Client: {
            client_id: "outage-rp",
            client_secret: "outage-rp-secret-0123456789",
            redirect_uris: [REDIRECT_URI],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            scope: "openid",
          },
        });
        const query = new URLSearchParams({
          response_type: "code",
          client_id: "outage-rp",
          redirect_uri: REDIRECT_URI,
          scope: "openid",
          state: "state-of-the-rp-2",
        });
        // One browser at a sign-in page, another signed in and at the consent screen.
        const leaving = new PageClient(portico.url, portico.url);
        const login = await leaving.follow(await leaving.get(`/oauth2/auth?${query}`));
        assert.equal(login.status, 200, login.body.slice(0, 500));
        assert.match(login.url ?? "", /login_challenge=/);
        const deciding = new PageClient(portico.url, portico.url);
        const ownLogin = await deciding.follow(await deciding.get(`/oauth2/auth?${query}`));
        const signedIn = await deciding.submit(ownLogin.url as string, ownLogin.body, { email, password });
        assert.equal(signedIn.status, 303, shown(signedIn.body).slice(0, 500));
        const ask = await deciding.follow(signedIn);
        assert.equal(ask.status, 200, shown(ask.body).slice(0, 500));
        assert.match(ask.url ?? "", /consent_challenge=/);

        await outage(backend, relay, database.url, async () => {
          const posts: Array<[string, () => Promise<PageAnswer>]> = [
            ["sign-in Cancel", () => leaving.submit(login.url as string, login.body, {}, "Cancel</button>")],
            ["consent Deny", () => deciding.submit(ask.url as string, ask.body, { decision: "deny" })],
          ];
          // PostgreSQL down: the admin API answers 503 at once. SQLite locked: the API waits the busy
          // timeout (10 s), longer than the app waits for it (HYDRA_TIMEOUT, 5 s): the gateway's 504.
          const failure = backend === "postgresql" ? 503 : 504;
          await expectUnavailable(posts, failure, /temporarily unavailable|cannot reach the sign-in service/);
        });

        // Back: the same process answers the Deny again. On SQLite the API's write the app stopped
        // waiting for (at HYDRA_TIMEOUT) may have gone through once the lock was released: then the
        // request was answered already, and the page says so.
        const deny = () => deciding.submit(ask.url as string, ask.body, { decision: "deny" });
        const denied = backend === "postgresql" ? await eventually(303, deny) : await deny();
        if (denied.status === 303 || backend === "postgresql") {
          assert.equal(denied.status, 303, shown(denied.body).slice(0, 1500));
          const back = await deciding.follow(denied);
          assert.match(back.url ?? "", /^https:\/\/rp\.example\.test\/cb\?error=access_denied/);
        } else {
          assert.equal(denied.status, 200, shown(denied.body).slice(0, 1500));
          assert.match(shown(denied.body), /already answered/);
        }
      } finally {
        await db.$disconnect();
        await portico.stop();
        await relay?.down();
        await database.drop();
      }
    });
  });
}
