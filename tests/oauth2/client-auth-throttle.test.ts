/**
 * The per-client throttle of failed client authentication is keyed on the
 * client being authenticated, not on how its id was spelled: HTTP Basic
 * values are form-urlencoded (RFC 6749 §2.3.1) and the raw reading is
 * accepted too, so `target`, `t%61rget` and `%74arget` are one client with one
 * bucket — at the token, introspection and revocation endpoints alike.
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
        const response = await attempt("/oauth2/token", id, secret);
        assert.equal(response.status, 429, `${id} is throttled, even with the right secret`);
        assert.ok(Number(response.headers.get("retry-after")) >= 1);
      }
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
