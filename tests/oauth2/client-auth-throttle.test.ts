/**
 * The per-client throttle of failed client authentication is keyed on the
 * client being authenticated, not on how its id was spelled: HTTP Basic
 * values are form-urlencoded (RFC 6749 §2.3.1) and the raw reading is
 * accepted too, so `target`, `t%61rget` and `%74arget` are one client with one
 * bucket — at the token, introspection and revocation endpoints alike. A
 * secret the process verified before passes an emptied bucket: the bucket
 * slows guessing, and must not lock the client's own servers out.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

/** HTTP Basic with the id and secret exactly as given: no encoding of our own. */
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

const FORMS: Record<string, string> = {
  "/oauth2/token": "grant_type=client_credentials",
  "/oauth2/introspect": "token=not-a-token",
  "/oauth2/revoke": "token=not-a-token",
};

for (const backend of BACKENDS) {
  describe(`failed client authentication is throttled per client, however its id is spelled (${backend})`, () => {
    let portico: Portico;
    let root: string;

    before(async () => {
      portico = await startPortico({ backend });
      root = await portico.rootToken();
    });
    after(() => portico.stop());

    const attempt = (path: string, id: string, secret: string) =>
      fetch(`${portico.url}${path}`, {
        method: "POST",
        headers: { authorization: basic(id, secret), "content-type": "application/x-www-form-urlencoded" },
        body: FORMS[path],
      });

    async function createClient(id: string, secret: string): Promise<void> {
      const response = await portico.call("/clients", {
        token: root,
        json: { id, client_secret: secret, grant_types: ["client_credentials"] },
      });
      assert.equal(response.status, 201, await response.text());
    }

    test("every spelling of the id counts against one bucket", async () => {
      const secret = "spelled-secret-0123456789";
      await createClient("spelled", secret);
      assert.equal((await attempt("/oauth2/token", "sp%65lled", secret)).status, 200, "an encoded id works");
      const spellings = ["spelled", "sp%65lled", "%73pelled", "sp%65ll%65d", "spelle%64"];
      for (let i = 0; i < 20; i++) {
        const id = spellings[i % spellings.length] as string;
        assert.equal((await attempt("/oauth2/token", id, `wrong-${i}`)).status, 401, id);
      }
      for (const id of [...spellings, "%73%70%65%6C%6C%65%64"]) {
        const response = await attempt("/oauth2/token", id, "one-more-guess");
        assert.equal(response.status, 429, `${id} is throttled`);
        assert.ok(Number(response.headers.get("retry-after")) >= 1);
      }
    });

    test("a secret this process verified before still passes an emptied bucket: guesses lock nobody out", async () => {
      const secret = "resource-server-secret-0123456789";
      await createClient("resource-server", secret);
      assert.equal((await attempt("/oauth2/introspect", "resource-server", secret)).status, 200);
      // Someone who knows only the (public) client id empties its bucket.
      for (let i = 0; i < 20; i++) {
        assert.equal((await attempt("/oauth2/token", "resource-server", `guess-${i}`)).status, 401);
      }
      assert.equal((await attempt("/oauth2/token", "resource-server", "guess")).status, 429);
      for (const path of Object.keys(FORMS)) {
        for (const id of ["resource-server", "resource%2Dserver"]) {
          assert.equal(
            (await attempt(path, id, secret)).status,
            200,
            `${path} ${id}: the client's own server`,
          );
        }
      }
      assert.equal(
        (await attempt("/oauth2/token", "resource-server", "guess")).status,
        429,
        "guesses still are not",
      );
    });

    test("the token, introspection and revocation endpoints share the bucket", async () => {
      const secret = "shared-bucket-secret-0123456789";
      await createClient("shared", secret);
      const paths = Object.keys(FORMS);
      for (let i = 0; i < 20; i++) {
        const path = paths[i % paths.length] as string;
        const id = i % 2 === 0 ? "shared" : "sh%61red";
        assert.equal((await attempt(path, id, `wrong-${i}`)).status, 401, `${path} ${id}`);
      }
      for (const path of paths) {
        for (const id of ["shared", "%73hared"]) {
          assert.equal((await attempt(path, id, secret)).status, 429, `${path} ${id}`);
        }
      }
    });

    test("a public client's HTTP Basic with an empty password is its client_id alone, never a failure", async () => {
      // golang.org/x/oauth2 (AuthStyleAutoDetect, its default) sends Basic "id:" first from every process.
      const created = await portico.call("/clients", {
        token: root,
        json: {
          id: "cli-app",
          public: true,
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          redirect_uris: ["http://127.0.0.1/callback"],
        },
      });
      assert.equal(created.status, 201, await created.text());
      const refresh = (authorization: Record<string, string>, form: Record<string, string> = {}) =>
        fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: { ...authorization, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "not-a-token", ...form }),
        });
      for (let i = 0; i < 25; i++) {
        const id = i % 2 === 0 ? "cli-app" : "cli%2Dapp";
        const answer = await refresh({ authorization: basic(id, "") });
        assert.equal(answer.status, 400, `${id}: authenticated, the refresh token is what is wrong`);
        assert.equal(((await answer.json()) as { error: string }).error, "invalid_grant");
      }
      const alone = await refresh({}, { client_id: "cli-app" });
      assert.equal(alone.status, 400, "client_id alone is not throttled");
      assert.equal(((await alone.json()) as { error: string }).error, "invalid_grant");
      const revoked = await fetch(`${portico.url}/oauth2/revoke`, {
        method: "POST",
        headers: { authorization: basic("cli-app", ""), "content-type": "application/x-www-form-urlencoded" },
        body: "token=not-a-token",
      });
      assert.equal(revoked.status, 200);

      // A public client has nothing to prove: introspection, or a password it does not have, stays refused.
      assert.equal((await attempt("/oauth2/introspect", "cli-app", "")).status, 401);
      assert.equal((await attempt("/oauth2/token", "cli-app", "a-password")).status, 401);
    });

    test("an unknown client's spellings share a bucket too, and another client's stays full", async () => {
      for (let i = 0; i < 20; i++) {
        const id = i % 2 === 0 ? "ghost" : "gh%6Fst";
        assert.equal((await attempt("/oauth2/token", id, `wrong-${i}`)).status, 401, id);
      }
      assert.equal((await attempt("/oauth2/token", "g%68ost", "wrong")).status, 429);
      const secret = "bystander-secret-0123456789";
      await createClient("bystander", secret);
      assert.equal((await attempt("/oauth2/token", "bystander", secret)).status, 200);
    });
  });
}
