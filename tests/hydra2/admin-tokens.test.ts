import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, failure, rawJson, sdk } from "@/tests/hydra2/support.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  registerClient,
  startOAuth2Portico,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

async function clientCredentials(portico: Portico, id: string, secret: string, scope: string) {
  const response = await fetch(`${portico.url}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", scope }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

for (const backend of BACKENDS) {
  describe(`Hydra 2.x token administration (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    before(async () => {
      portico = await startOAuth2Portico({ backend });
      api = sdk(portico);
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "machine",
          client_secret: "machine-secret-123",
          grant_types: ["client_credentials"],
          scope: "read write",
        },
      });
    });
    after(async () => {
      await portico?.stop();
    });

    test("introspection of an access token: the 2.x model, the scope filter, no client authentication", async () => {
      const token = await clientCredentials(portico, "machine", "machine-secret-123", "read");
      const answer = await api.oauth2.introspectOAuth2TokenRaw({ token });
      const body = (await rawJson(answer)) as Record<string, unknown>;
      assertSchema("introspectedOAuth2Token", body);
      assert.equal(body.active, true);
      assert.equal(body.client_id, "machine");
      assert.equal(body.sub, "machine");
      assert.equal(body.scope, "read");
      assert.equal(body.token_use, "access_token");
      assert.equal(body.iss, portico.url);
      assert.ok((body.exp as number) > Date.now() / 1000);

      const narrowed = await api.oauth2.introspectOAuth2TokenRaw({ token, scope: "write" });
      assert.deepEqual(await rawJson(narrowed), { active: false });
      for (const unknown of ["not-a-token", "x".repeat(600)]) {
        const inactive = (await rawJson(
          await api.oauth2.introspectOAuth2TokenRaw({ token: unknown }),
        )) as object;
        assertSchema("introspectedOAuth2Token", inactive);
        assert.deepEqual(inactive, { active: false });
      }
    });

    test("without the 2.x flow, client_credentials ignores audience, as the 2017 API has none", async () => {
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "machine-audience",
          client_secret: "machine-secret-456",
          grant_types: ["client_credentials"],
          scope: "read",
          audience: ["https://api.example/a"],
        },
      });
      for (const audience of ["https://api.example/a", "https://unregistered.example"]) {
        const response = await fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from("machine-audience:machine-secret-456").toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ grant_type: "client_credentials", audience }),
        });
        assert.equal(response.status, 200);
        const { access_token } = (await response.json()) as { access_token: string };
        assert.deepEqual((await api.oauth2.introspectOAuth2Token({ token: access_token })).aud, []);
      }
    });

    test("introspection of a refresh token says refresh_token, and inactive once used", async () => {
      const web = await registerClient(portico, {
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        scope: "openid offline",
      });
      const consentApp = await ConsentApp.for(portico);
      const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
        response_type: "code",
        client_id: web.id,
        redirect_uri: web.redirectUri,
        scope: "openid offline",
        state: "state-123456",
        nonce: "nonce-123456",
      });
      const code = new URL(response.headers.get("location") ?? "").searchParams.get("code") ?? "";
      const exchange = async (body: Record<string, string>) => {
        const answer = await fetch(`${portico.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${web.id}:${web.secret}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams(body),
        });
        assert.equal(answer.status, 200, await answer.clone().text());
        return (await answer.json()) as { refresh_token: string; access_token: string };
      };
      const tokens = await exchange({
        grant_type: "authorization_code",
        code,
        redirect_uri: web.redirectUri,
      });
      const body = (await rawJson(
        await api.oauth2.introspectOAuth2TokenRaw({ token: tokens.refresh_token }),
      )) as Record<string, unknown>;
      assertSchema("introspectedOAuth2Token", body);
      assert.equal(body.active, true);
      assert.equal(body.token_use, "refresh_token");
      assert.equal(body.sub, "user-1");
      assert.equal(body.client_id, web.id);
      await exchange({ grant_type: "refresh_token", refresh_token: tokens.refresh_token });
      assert.equal((await api.oauth2.introspectOAuth2Token({ token: tokens.refresh_token })).active, false);
    });

    test("delete tokens of a client: every access token of that client stops, others stay", async () => {
      const first = await clientCredentials(portico, "machine", "machine-secret-123", "read");
      const second = await clientCredentials(portico, "machine", "machine-secret-123", "write");
      const rootToken = await portico.rootToken("hydra.clients");
      const deleted = await api.oauth2.deleteOAuth2TokenRaw({ clientId: "machine" });
      assert.equal(deleted.raw.status, 204);
      for (const token of [first, second]) {
        assert.equal((await api.oauth2.introspectOAuth2Token({ token })).active, false);
      }
      assert.equal((await api.oauth2.introspectOAuth2Token({ token: rootToken })).active, true);
      assert.equal((await portico.call("/clients", { token: rootToken })).status, 200);
      // A client without tokens, or unknown: nothing to delete, still 204.
      assert.equal((await api.oauth2.deleteOAuth2TokenRaw({ clientId: "nobody" })).raw.status, 204);
    });

    test("bad input is a 400 in Hydra's error format", async () => {
      await assertError(
        await admin(portico, "/admin/oauth2/tokens", { method: "DELETE" }),
        400,
        "invalid_request",
      );
      await assertError(
        await admin(portico, "/admin/oauth2/introspect", { json: { token: "x" } }),
        400,
        "invalid_request",
      );
      await assertError(
        await admin(portico, "/admin/oauth2/introspect", {
          body: "scope=read",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        }),
        400,
        "invalid_request",
      );
      await assertError(
        await admin(portico, "/admin/oauth2/introspect", {
          body: "token=a&token=b",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        }),
        400,
        "invalid_request",
      );
      await assertError(
        await failure(api.oauth2.introspectOAuth2Token({ token: "" })),
        400,
        "invalid_request",
      );
    });

    test("health and version through the SDK, valid for the document", async () => {
      const alive = await api.metadata.isAliveRaw();
      assertSchema("healthStatus", await rawJson(alive));
      assert.equal((await api.metadata.isReady()).status, "ok");
      assert.match((await api.metadata.getVersion()).version ?? "", /^v\d/);
    });
  });
}
