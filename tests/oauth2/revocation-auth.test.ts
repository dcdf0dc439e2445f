/**
 * How a client authenticates at /oauth2/revoke (RFC 7009 §2.1, which takes
 * RFC 6749 §2.3's methods), over real HTTP on every backend: as at the token
 * endpoint — HTTP Basic, client_id and client_secret in the form, or a public
 * client's client_id alone — so a client registered for client_secret_post
 * (Hydra 2.x), which may not use Basic, can revoke what it holds, and
 * discovery says so.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { admin } from "@/tests/hydra2/support.ts";
import { postForm, registerClient, startOAuth2Portico, type TestClient } from "@/tests/oauth2/support.ts";
import { BACKENDS, introspect, type Portico } from "@/tests/support/server.ts";

const POSTER = { id: "poster", secret: "poster-secret-0123456789abcdefghij" };

for (const backend of BACKENDS) {
  describe(`/oauth2/revoke client authentication (${backend})`, () => {
    let portico: Portico;
    let basic: TestClient;

    before(async () => {
      portico = await startOAuth2Portico({ backend });
      const created = await admin(portico, "/admin/clients", {
        json: {
          client_id: POSTER.id,
          client_secret: POSTER.secret,
          grant_types: ["client_credentials"],
          token_endpoint_auth_method: "client_secret_post",
          scope: "api",
        },
      });
      assert.equal(created.status, 201, await created.text());
      basic = await registerClient(portico, { grant_types: ["client_credentials"], scope: "api" });
    });
    after(() => portico.stop());

    async function tokenOf(form: Record<string, string>, credentials?: { id: string; secret: string }) {
      const response = await postForm(
        portico,
        "/oauth2/token",
        { grant_type: "client_credentials", ...form },
        credentials,
      );
      assert.equal(response.status, 200, response.text);
      return response.json.access_token as string;
    }

    test("discovery lists the token endpoint's methods for revocation", async () => {
      const document = (await (await fetch(`${portico.url}/.well-known/openid-configuration`)).json()) as {
        revocation_endpoint_auth_methods_supported: string[];
        token_endpoint_auth_methods_supported: string[];
      };
      assert.deepEqual(
        document.revocation_endpoint_auth_methods_supported,
        document.token_endpoint_auth_methods_supported,
      );
      assert.ok(document.revocation_endpoint_auth_methods_supported.includes("client_secret_post"));
    });

    test("a client_secret_post client revokes with its secret in the form; Basic stays refused to it", async () => {
      const token = await tokenOf({ client_id: POSTER.id, client_secret: POSTER.secret });
      const byBasic = await postForm(portico, "/oauth2/revoke", { token }, POSTER);
      assert.equal(byBasic.status, 401);
      assert.equal((await introspect(portico, token)).active, true);

      const wrong = await postForm(portico, "/oauth2/revoke", {
        token,
        client_id: POSTER.id,
        client_secret: "not-the-secret",
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.json.error, "invalid_client");
      assert.equal((await introspect(portico, token)).active, true);

      const revoked = await postForm(portico, "/oauth2/revoke", {
        token,
        client_id: POSTER.id,
        client_secret: POSTER.secret,
      });
      assert.equal(revoked.status, 200, revoked.text);
      assert.equal((await introspect(portico, token)).active, false);
    });

    test("a 2017 client may use either method, never both at once; a secret never stands in for another client's", async () => {
      const credentials = { id: basic.id, secret: basic.secret as string };
      const first = await tokenOf({}, credentials);
      const both = await postForm(
        portico,
        "/oauth2/revoke",
        { token: first, client_id: basic.id, client_secret: credentials.secret },
        credentials,
      );
      assert.equal(both.status, 400);
      assert.equal(both.json.error, "invalid_request");
      assert.equal((await introspect(portico, first)).active, true);

      // The other client's secret authenticates that client, which cannot revoke this token.
      const byOther = await postForm(portico, "/oauth2/revoke", {
        token: first,
        client_id: POSTER.id,
        client_secret: POSTER.secret,
      });
      assert.equal(byOther.status, 200);
      assert.equal((await introspect(portico, first)).active, true);

      const byPost = await postForm(portico, "/oauth2/revoke", {
        token: first,
        client_id: basic.id,
        client_secret: credentials.secret,
      });
      assert.equal(byPost.status, 200);
      assert.equal((await introspect(portico, first)).active, false);

      const second = await tokenOf({}, credentials);
      assert.equal((await postForm(portico, "/oauth2/revoke", { token: second }, credentials)).status, 200);
      assert.equal((await introspect(portico, second)).active, false);
    });
  });
}
