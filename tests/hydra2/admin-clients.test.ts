import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError, assertSchema } from "@/tests/hydra2/openapi.ts";
import { admin, failure, rawJson, sdk } from "@/tests/hydra2/support.ts";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const KEYS_2017 = [
  "client_name",
  "client_uri",
  "contacts",
  "grant_types",
  "id",
  "logo_uri",
  "owner",
  "policy_uri",
  "public",
  "redirect_uris",
  "response_types",
  "scope",
  "tos_uri",
];

async function tokenWith(portico: Portico, id: string, secret: string, method: "basic" | "post") {
  const body = new URLSearchParams({ grant_type: "client_credentials" });
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (method === "basic")
    headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
  else {
    body.set("client_id", id);
    body.set("client_secret", secret);
  }
  return fetch(`${portico.url}/oauth2/token`, { method: "POST", headers, body });
}

for (const backend of BACKENDS) {
  describe(`Hydra 2.x /admin/clients (${backend})`, () => {
    let portico: Portico;
    let api: ReturnType<typeof sdk>;
    let rootToken: string;
    before(async () => {
      portico = await startPortico({ backend });
      api = sdk(portico);
      rootToken = await portico.rootToken("hydra.clients");
    });
    after(async () => {
      await portico?.stop();
    });

    test("create answers 201 with the 2.x model and the secret once; get never shows the secret", async () => {
      const created = await api.oauth2.createOAuth2ClientRaw({
        oAuth2Client: {
          client_id: "v2-app",
          client_name: "V2 App",
          redirect_uris: ["https://v2.example/callback"],
          grant_types: ["authorization_code", "refresh_token", "client_credentials"],
          response_types: ["code"],
          scope: "openid offline",
          audience: ["https://api.v2.example"],
          metadata: { team: "blue" },
        },
      });
      assert.equal(created.raw.status, 201);
      const body = (await rawJson(created)) as Record<string, unknown>;
      assertSchema("oAuth2Client", body);
      assert.equal(body.client_id, "v2-app");
      assert.equal(body.token_endpoint_auth_method, "client_secret_basic");
      assert.deepEqual(body.audience, ["https://api.v2.example"]);
      assert.deepEqual(body.metadata, { team: "blue" });
      assert.equal(typeof body.client_secret, "string");
      assert.ok((body.client_secret as string).length >= 26);

      const fetched = await api.oauth2.getOAuth2ClientRaw({ id: "v2-app" });
      const got = (await rawJson(fetched)) as Record<string, unknown>;
      assertSchema("oAuth2Client", got);
      assert.equal(got.client_secret, undefined);
      assert.equal(got.client_name, "V2 App");
      assert.equal(got.created_at, body.created_at);

      // The generated secret works at the token endpoint.
      assert.equal((await tokenWith(portico, "v2-app", body.client_secret as string, "basic")).status, 200);
    });

    test("one store: a 2.x client is the 2017 client, in exactly the 2017 fields, and the reverse", async () => {
      await api.oauth2.createOAuth2Client({
        oAuth2Client: { client_id: "both-faces", client_name: "Both", client_secret: "a-long-enough-secret" },
      });
      const old = await portico.call("/clients/both-faces", { token: rootToken });
      assert.equal(old.status, 200);
      const oldBody = (await old.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(oldBody).sort(), KEYS_2017);
      assert.equal(oldBody.client_name, "Both");

      const made = await portico.call("/clients", {
        token: rootToken,
        json: {
          id: "made-in-2017",
          client_name: "Old",
          public: true,
          redirect_uris: ["https://old.example/cb"],
        },
      });
      assert.equal(made.status, 201);
      const seen = (await rawJson(await api.oauth2.getOAuth2ClientRaw({ id: "made-in-2017" }))) as Record<
        string,
        unknown
      >;
      assertSchema("oAuth2Client", seen);
      assert.equal(seen.client_name, "Old");
      assert.equal(seen.token_endpoint_auth_method, "none");
      assert.deepEqual(seen.redirect_uris, ["https://old.example/cb"]);

      // A 2017 update leaves the 2.x fields alone; the 2017 answer does not change shape.
      await api.oauth2.setOAuth2Client({
        id: "both-faces",
        oAuth2Client: { client_name: "Both", audience: ["https://aud.example"], metadata: { a: 1 } },
      });
      const put2017 = await portico.call("/clients/both-faces", {
        method: "PUT",
        token: rootToken,
        json: { client_name: "Both, renamed" },
      });
      assert.equal(put2017.status, 200);
      assert.deepEqual(Object.keys((await put2017.json()) as object).sort(), KEYS_2017);
      const after2017 = await api.oauth2.getOAuth2Client({ id: "both-faces" });
      assert.equal(after2017.client_name, "Both, renamed");
      assert.deepEqual(after2017.audience, ["https://aud.example"]);
      assert.deepEqual(after2017.metadata, { a: 1 });
    });

    test("the OpenID Connect client fields map onto the same store; a 2.x PUT resets what it leaves out", async () => {
      const created = await api.oauth2.createOAuth2ClientRaw({
        oAuth2Client: {
          client_id: "oidc-fields",
          skip_consent: true,
          post_logout_redirect_uris: ["https://rp.example/bye"],
          backchannel_logout_uri: "https://rp.example/backchannel",
          backchannel_logout_session_required: true,
        },
      });
      const body = (await rawJson(created)) as Record<string, unknown>;
      assertSchema("oAuth2Client", body);
      assert.equal(body.skip_consent, true);
      assert.deepEqual(body.post_logout_redirect_uris, ["https://rp.example/bye"]);
      assert.equal(body.backchannel_logout_uri, "https://rp.example/backchannel");
      assert.equal(body.backchannel_logout_session_required, true);
      const old = (await (await portico.call("/clients/oidc-fields", { token: rootToken })).json()) as Record<
        string,
        unknown
      >;
      assert.equal(old.skip_consent, true);
      assert.deepEqual(old.post_logout_redirect_uris, ["https://rp.example/bye"]);

      const replaced = await api.oauth2.setOAuth2Client({
        id: "oidc-fields",
        oAuth2Client: { client_name: "plain" },
      });
      assert.equal(replaced.skip_consent, false);
      assert.deepEqual(replaced.post_logout_redirect_uris, []);
      assert.equal(replaced.backchannel_logout_uri, "");
      const plain = (await (
        await portico.call("/clients/oidc-fields", { token: rootToken })
      ).json()) as object;
      assert.deepEqual(Object.keys(plain).sort(), KEYS_2017, "unset, they are absent from the 2017 answer");

      const bad = await admin(portico, "/admin/clients", {
        json: { backchannel_logout_uri: "ftp://x.example/" },
      });
      await assertError(bad, 400, "invalid_client_metadata");
    });

    test("list pages with Hydra's Link header and filters by client_name and owner", async () => {
      for (let i = 0; i < 5; i++) {
        await api.oauth2.createOAuth2Client({
          oAuth2Client: { client_id: `page-${i}`, client_name: "Paged", owner: i % 2 === 0 ? "even" : "odd" },
        });
      }
      const seen: string[] = [];
      let path: string | undefined = "/admin/clients?page_size=2&client_name=Paged";
      let pages = 0;
      while (path) {
        const response = await admin(portico, path);
        assert.equal(response.status, 200);
        const page = (await response.json()) as Array<Record<string, unknown>>;
        for (const client of page) {
          assertSchema("oAuth2Client", client);
          assert.equal(client.client_secret, undefined);
          seen.push(client.client_id as string);
        }
        assert.ok(page.length <= 2);
        const link = response.headers.get("link") ?? "";
        assert.match(link, /rel="first"/);
        path = /<([^>]+)>; rel="next"/.exec(link)?.[1];
        pages++;
      }
      assert.deepEqual(seen, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
      assert.equal(pages, 3);

      const odd = await api.oauth2.listOAuth2ClientsRaw({ owner: "odd", clientName: "Paged" });
      const oddBody = (await rawJson(odd)) as Array<{ client_id: string }>;
      assert.deepEqual(
        oddBody.map((c) => c.client_id),
        ["page-1", "page-3"],
      );
      const all = await api.oauth2.listOAuth2Clients({});
      assert.ok(all.length >= 8);
    });

    test("put replaces the client and keeps the secret unless one is sent", async () => {
      const { client_secret } = await api.oauth2.createOAuth2Client({
        oAuth2Client: { client_id: "replace-me", client_name: "Before", grant_types: ["client_credentials"] },
      });
      const replaced = await api.oauth2.setOAuth2ClientRaw({
        id: "replace-me",
        oAuth2Client: { client_name: "After", grant_types: ["client_credentials"], scope: "read" },
      });
      const body = (await rawJson(replaced)) as Record<string, unknown>;
      assertSchema("oAuth2Client", body);
      assert.equal(body.client_name, "After");
      assert.equal(body.scope, "read");
      assert.equal(body.client_secret, undefined);
      assert.equal((await tokenWith(portico, "replace-me", client_secret as string, "basic")).status, 200);

      const rotated = await api.oauth2.setOAuth2Client({
        id: "replace-me",
        oAuth2Client: {
          client_name: "After",
          grant_types: ["client_credentials"],
          client_secret: "the-new-secret-123",
        },
      });
      assert.equal(rotated.client_secret, "the-new-secret-123");
      assert.equal((await tokenWith(portico, "replace-me", client_secret as string, "basic")).status, 401);
      assert.equal((await tokenWith(portico, "replace-me", "the-new-secret-123", "basic")).status, 200);

      // A round trip through the SDK's model (GET, change, PUT) is accepted as it is.
      const current = await api.oauth2.getOAuth2Client({ id: "replace-me" });
      const again = await api.oauth2.setOAuth2Client({
        id: "replace-me",
        oAuth2Client: { ...current, client_name: "Round" },
      });
      assert.equal(again.client_name, "Round");
    });

    test("patch applies RFC 6902 operations; a patched secret is set and echoed", async () => {
      await api.oauth2.createOAuth2Client({
        oAuth2Client: { client_id: "patch-me", client_name: "P", redirect_uris: ["https://p.example/1"] },
      });
      const patched = await api.oauth2.patchOAuth2ClientRaw({
        id: "patch-me",
        jsonPatch: [
          { op: "replace", path: "/client_name", value: "Patched" },
          { op: "add", path: "/redirect_uris/-", value: "https://p.example/2" },
          { op: "add", path: "/metadata/tier", value: "gold" },
        ],
      });
      const body = (await rawJson(patched)) as Record<string, unknown>;
      assertSchema("oAuth2Client", body);
      assert.equal(body.client_name, "Patched");
      assert.deepEqual(body.redirect_uris, ["https://p.example/1", "https://p.example/2"]);
      assert.deepEqual(body.metadata, { tier: "gold" });
      assert.equal(body.client_secret, undefined);

      const withSecret = await api.oauth2.patchOAuth2Client({
        id: "patch-me",
        jsonPatch: [{ op: "replace", path: "/client_secret", value: "patched-secret-456" }],
      });
      assert.equal(withSecret.client_secret, "patched-secret-456");
      assert.equal((await tokenWith(portico, "patch-me", "patched-secret-456", "basic")).status, 400);
      // (400: the client has no client_credentials grant — the secret itself was accepted.)

      const idChange = await failure(
        api.oauth2.patchOAuth2Client({
          id: "patch-me",
          jsonPatch: [{ op: "replace", path: "/client_id", value: "other" }],
        }),
      );
      await assertError(idChange, 400, "invalid_request");
      const failedTest = await failure(
        api.oauth2.patchOAuth2Client({
          id: "patch-me",
          jsonPatch: [{ op: "test", path: "/client_name", value: "x" }],
        }),
      );
      await assertError(failedTest, 400, "invalid_request");
      const badPath = await failure(
        api.oauth2.patchOAuth2Client({
          id: "patch-me",
          jsonPatch: [{ op: "remove", path: "/no/such/member" }],
        }),
      );
      await assertError(badPath, 400, "invalid_request");
      // A move into the value's own child (RFC 6902 §4.4 forbids it) says so, not a JavaScript engine's words.
      const intoItself = await admin(portico, "/admin/clients/patch-me", {
        method: "PATCH",
        json: [{ op: "move", from: "/metadata", path: "/metadata/x" }],
      });
      assert.equal(intoItself.status, 400);
      const described = ((await intoItself.json()) as { error_description: string }).error_description;
      assert.doesNotMatch(described, /undefined|properties/, described);
      const pollute = await admin(portico, "/admin/clients/patch-me", {
        method: "PATCH",
        json: [{ op: "add", path: "/__proto__/polluted", value: true }],
      });
      assert.equal(pollute.status, 400);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const badType = await failure(
        api.oauth2.patchOAuth2Client({
          id: "patch-me",
          jsonPatch: [{ op: "replace", path: "/redirect_uris", value: "x" }],
        }),
      );
      await assertError(badType, 400, "invalid_client_metadata");
      const missing = await failure(
        api.oauth2.patchOAuth2Client({
          id: "nobody",
          jsonPatch: [{ op: "replace", path: "/client_name", value: "x" }],
        }),
      );
      await assertError(missing, 404);
      assert.equal((await api.oauth2.getOAuth2Client({ id: "patch-me" })).client_name, "Patched");
    });

    test("delete answers 204, then the client is gone on both faces", async () => {
      await api.oauth2.createOAuth2Client({ oAuth2Client: { client_id: "delete-me" } });
      const deleted = await api.oauth2.deleteOAuth2ClientRaw({ id: "delete-me" });
      assert.equal(deleted.raw.status, 204);
      await assertError(await failure(api.oauth2.getOAuth2Client({ id: "delete-me" })), 404, "Not Found");
      assert.equal((await portico.call("/clients/delete-me", { token: rootToken })).status, 404);
      await assertError(await failure(api.oauth2.deleteOAuth2Client({ id: "delete-me" })), 404, "Not Found");
    });

    test("token_endpoint_auth_method is enforced at the token endpoint", async () => {
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "post-only",
          client_secret: "post-only-secret",
          grant_types: ["client_credentials"],
          token_endpoint_auth_method: "client_secret_post",
        },
      });
      assert.equal((await tokenWith(portico, "post-only", "post-only-secret", "post")).status, 200);
      assert.equal((await tokenWith(portico, "post-only", "post-only-secret", "basic")).status, 401);
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "basic-only",
          client_secret: "basic-only-secret",
          grant_types: ["client_credentials"],
          token_endpoint_auth_method: "client_secret_basic",
        },
      });
      assert.equal((await tokenWith(portico, "basic-only", "basic-only-secret", "basic")).status, 200);
      assert.equal((await tokenWith(portico, "basic-only", "basic-only-secret", "post")).status, 401);
    });

    test("a JSON Patch changes only what it names: a 2017 client keeps accepting both secret methods", async () => {
      const secret = "old17-secret-0123456789";
      const made = await portico.call("/clients", {
        token: rootToken,
        json: { id: "old17", client_secret: secret, grant_types: ["client_credentials"], scope: "api" },
      });
      assert.equal(made.status, 201);
      assert.equal((await tokenWith(portico, "old17", secret, "post")).status, 200);
      assert.equal((await tokenWith(portico, "old17", secret, "basic")).status, 200);

      // The unset method reads as Hydra's default; a patch that does not name it leaves it unset.
      const renamed = await admin(portico, "/admin/clients/old17", {
        method: "PATCH",
        json: [
          { op: "test", path: "/token_endpoint_auth_method", value: "client_secret_basic" },
          { op: "replace", path: "/client_name", value: "Old" },
        ],
      });
      assert.equal(renamed.status, 200);
      const body = (await renamed.json()) as Record<string, unknown>;
      assertSchema("oAuth2Client", body);
      assert.equal(body.client_name, "Old");
      assert.equal(body.token_endpoint_auth_method, "client_secret_basic");
      assert.deepEqual(body.metadata, {});
      assert.equal((await tokenWith(portico, "old17", secret, "post")).status, 200);
      assert.equal((await tokenWith(portico, "old17", secret, "basic")).status, 200);
      const old = (await (await portico.call("/clients/old17", { token: rootToken })).json()) as object;
      assert.deepEqual(Object.keys(old).sort(), KEYS_2017);

      // Naming it sets it, even to the value it reads as.
      await api.oauth2.patchOAuth2Client({
        id: "old17",
        jsonPatch: [{ op: "replace", path: "/token_endpoint_auth_method", value: "client_secret_basic" }],
      });
      assert.equal((await tokenWith(portico, "old17", secret, "basic")).status, 200);
      assert.equal((await tokenWith(portico, "old17", secret, "post")).status, 401);
      const toPost = await api.oauth2.patchOAuth2Client({
        id: "old17",
        jsonPatch: [{ op: "replace", path: "/token_endpoint_auth_method", value: "client_secret_post" }],
      });
      assert.equal(toPost.token_endpoint_auth_method, "client_secret_post");
      assert.equal((await tokenWith(portico, "old17", secret, "post")).status, 200);
      assert.equal((await tokenWith(portico, "old17", secret, "basic")).status, 401);

      // A set method and stored metadata survive patches that name other members.
      await api.oauth2.patchOAuth2Client({
        id: "old17",
        jsonPatch: [{ op: "add", path: "/metadata/team", value: "blue" }],
      });
      const kept = await api.oauth2.patchOAuth2Client({
        id: "old17",
        jsonPatch: [{ op: "replace", path: "/scope", value: "api other" }],
      });
      assert.equal(kept.token_endpoint_auth_method, "client_secret_post");
      assert.deepEqual(kept.metadata, { team: "blue" });
      assert.equal((await tokenWith(portico, "old17", secret, "basic")).status, 401);
    });

    test("a PUT replaces the whole client: without a method, a 2017 client becomes client_secret_basic", async () => {
      const secret = "old17-put-secret-012345";
      const made = await portico.call("/clients", {
        token: rootToken,
        json: { id: "old17-put", client_secret: secret, grant_types: ["client_credentials"] },
      });
      assert.equal(made.status, 201);
      const replaced = await api.oauth2.setOAuth2Client({
        id: "old17-put",
        oAuth2Client: { client_name: "Replaced", grant_types: ["client_credentials"] },
      });
      assert.equal(replaced.token_endpoint_auth_method, "client_secret_basic");
      assert.equal((await tokenWith(portico, "old17-put", secret, "basic")).status, 200);
      assert.equal((await tokenWith(portico, "old17-put", secret, "post")).status, 401);
    });

    test("response types may be the OpenID Connect combinations on the 2.x face, as written", async () => {
      const minimal = await admin(portico, "/admin/clients", {
        json: { client_id: "hybrid-min", response_types: ["code", "code id_token"] },
      });
      assert.equal(minimal.status, 201);
      const minimalBody = (await minimal.json()) as Record<string, unknown>;
      assertSchema("oAuth2Client", minimalBody);
      assert.deepEqual(minimalBody.response_types, ["code", "code id_token"]);

      // Every value api.json lists, and a combination in another order, kept as written.
      const all = [
        "code",
        "token",
        "id_token",
        "token id_token",
        "code id_token",
        "code token",
        "code token id_token",
      ];
      const created = await api.oauth2.createOAuth2Client({
        oAuth2Client: { client_id: "hybrid-all", response_types: [...all, "id_token code"] },
      });
      assert.deepEqual(created.response_types, [...all, "id_token code"]);
      const patched = await api.oauth2.patchOAuth2Client({
        id: "hybrid-min",
        jsonPatch: [{ op: "add", path: "/response_types/-", value: "token code" }],
      });
      assert.deepEqual(patched.response_types, ["code", "code id_token", "token code"]);
      assert.deepEqual((await api.oauth2.getOAuth2Client({ id: "hybrid-min" })).response_types, [
        "code",
        "code id_token",
        "token code",
      ]);

      for (const bad of ["code code", "code  id_token", " code", "code ", "none", "code none", "CODE", ""]) {
        const response = await admin(portico, "/admin/clients", { json: { response_types: [bad] } });
        await assertError(response, 400, "invalid_client_metadata");
      }

      // The 2017 API keeps its three values: it shows a combination, and refuses to register one.
      const old = await portico.call("/clients/hybrid-min", { token: rootToken });
      const oldBody = (await old.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(oldBody).sort(), KEYS_2017);
      assert.deepEqual(oldBody.response_types, ["code", "code id_token", "token code"]);
      const refused = await portico.call("/clients", {
        token: rootToken,
        json: { id: "hybrid-2017", response_types: ["code id_token"] },
      });
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: { code: number } }).error.code, 400);
    });

    test("a client registered for a hybrid type gets it at /oauth2/auth; an unknown type is unsupported_response_type", async () => {
      const redirect = "https://hybrid.example/cb";
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "hybrid-flow",
          redirect_uris: [redirect],
          grant_types: ["authorization_code", "implicit"],
          response_types: ["code", "id_token", "code id_token"],
          scope: "openid",
        },
      });
      const authorize = (responseType: string) =>
        fetch(
          `${portico.url}/oauth2/auth?${new URLSearchParams({
            response_type: responseType,
            client_id: "hybrid-flow",
            redirect_uri: redirect,
            scope: "openid",
            state: "state-0123456789",
            nonce: "nonce-0123456789",
          })}`,
          { redirect: "manual" },
        );
      const accepted = await authorize("code id_token");
      assert.equal(accepted.status, 302);
      const next = accepted.headers.get("location") ?? "";
      assert.ok(!next.startsWith(redirect), `on to consent, not back with an error: ${next}`);

      const unknown = await authorize("code none");
      assert.equal(unknown.status, 302);
      const back = new URL(unknown.headers.get("location") ?? "");
      assert.equal(`${back.origin}${back.pathname}`, redirect);
      const params = new URLSearchParams(back.hash.slice(1) || back.search);
      assert.equal(params.get("error"), "unsupported_response_type");
    });

    test("a client registered only for a combination gets it at /oauth2/auth, as in Hydra", async () => {
      const redirect = "https://hybrid-only.example/cb";
      await api.oauth2.createOAuth2Client({
        oAuth2Client: {
          client_id: "hybrid-only",
          redirect_uris: [redirect],
          grant_types: ["authorization_code", "implicit"],
          response_types: ["code id_token"],
          scope: "openid",
        },
      });
      const response = await fetch(
        `${portico.url}/oauth2/auth?${new URLSearchParams({
          response_type: "id_token code",
          client_id: "hybrid-only",
          redirect_uri: redirect,
          scope: "openid",
          state: "state-0123456789",
          nonce: "nonce-0123456789",
        })}`,
        { redirect: "manual" },
      );
      assert.equal(response.status, 302);
      const next = response.headers.get("location") ?? "";
      assert.ok(!next.startsWith(redirect), `on to consent, not back with an error: ${next}`);
    });

    test("bad input is a 4xx in Hydra's error format, never a 5xx, and changes nothing", async () => {
      const cases: Array<[string, Parameters<typeof admin>[2], number, string]> = [
        ["/admin/clients", { body: "{not json" }, 400, "invalid_request"],
        ["/admin/clients", { method: "POST", body: "" }, 400, "invalid_request"],
        ["/admin/clients", { json: [] }, 400, "invalid_client_metadata"],
        ["/admin/clients", { json: { redirect_uris: ["not a uri"] } }, 400, "invalid_client_metadata"],
        [
          "/admin/clients",
          { json: { redirect_uris: ["https://x.example/#frag"] } },
          400,
          "invalid_client_metadata",
        ],
        ["/admin/clients", { json: { client_id: "bad id with spaces" } }, 400, "invalid_client_metadata"],
        ["/admin/clients", { json: { grant_types: ["password"] } }, 400, "invalid_client_metadata"],
        [
          "/admin/clients",
          { json: { token_endpoint_auth_method: "private_key_jwt" } },
          400,
          "invalid_client_metadata",
        ],
        [
          "/admin/clients",
          { json: { token_endpoint_auth_method: "none", client_secret: "a-secret-for-none" } },
          400,
          "invalid_client_metadata",
        ],
        [
          "/admin/clients",
          { json: { token_endpoint_auth_method: "none", grant_types: ["client_credentials"] } },
          400,
          "invalid_client_metadata",
        ],
        [
          "/admin/clients",
          { json: { jwks_uri: "https://keys.example/jwks" } },
          400,
          "invalid_client_metadata",
        ],
        ["/admin/clients", { json: { metadata: [1, 2] } }, 400, "invalid_client_metadata"],
        ["/admin/clients", { json: { audience: ["has space"] } }, 400, "invalid_client_metadata"],
        ["/admin/clients", { json: { client_secret: "short" } }, 400, "invalid_client_metadata"],
        ["/admin/clients", { json: { client_id: "v2-app" } }, 409, "Conflict"],
        ["/admin/clients?page_size=0", {}, 400, "invalid_request"],
        ["/admin/clients?page_size=1001", {}, 400, "invalid_request"],
        ["/admin/clients?page_size=ten", {}, 400, "invalid_request"],
        ["/admin/clients?page_token=%25%25%25", {}, 400, "invalid_request"],
        ["/admin/clients/v2-app", { method: "PUT", body: "[" }, 400, "invalid_request"],
        ["/admin/clients/v2-app", { method: "PUT", json: { scope: 7 } }, 400, "invalid_client_metadata"],
        ["/admin/clients/nobody", { method: "PUT", json: {} }, 404, "Not Found"],
        ["/admin/clients/v2-app", { method: "PATCH", json: { op: "replace" } }, 400, "invalid_request"],
        [
          "/admin/clients/v2-app",
          { method: "PATCH", json: [{ op: "nope", path: "/x" }] },
          400,
          "invalid_request",
        ],
        // A method the path does not answer: 405 with Allow (tests/security/http-semantics.test.ts).
        ["/admin/clients/v2-app", { method: "POST", json: {} }, 405, "Method Not Allowed"],
        ["/admin/clients/nobody", {}, 404, "Not Found"],
      ];
      for (const [path, init, status, error] of cases) {
        const response = await admin(portico, path, init);
        assert.ok(response.status < 500, `${path} ${JSON.stringify(init)} → ${response.status}`);
        await assertError(response, status, error);
      }
      const big = await admin(portico, "/admin/clients", {
        body: JSON.stringify({ client_name: "x".repeat(1_100_000) }),
      });
      assert.equal(big.status, 413);
      const unchanged = await api.oauth2.getOAuth2Client({ id: "v2-app" });
      assert.equal(unchanged.client_name, "V2 App");
    });

    test("metadata nested thousands of levels deep is a 400 that writes nothing, not a 500", async () => {
      // `{"metadata": {"a": {"a": …}}}`: JSON.stringify ran out of stack storing it (a 500 on create and replace).
      const deep = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;
      const created = await admin(portico, "/admin/clients", {
        body: `{"client_id":"deep-app","metadata":${deep(20_000)}}`,
      });
      await assertError(created, 400, "invalid_client_metadata");
      assert.equal((await admin(portico, "/admin/clients/deep-app")).status, 404);
      const replaced = await admin(portico, "/admin/clients/v2-app", {
        method: "PUT",
        body: `{"client_id":"v2-app","client_name":"Replaced","metadata":${deep(20_000)}}`,
      });
      await assertError(replaced, 400, "invalid_client_metadata");
      const patched = await admin(portico, "/admin/clients/v2-app", {
        method: "PATCH",
        body: `[{"op":"add","path":"/metadata","value":${deep(2_000)}}]`,
      });
      await assertError(patched, 400, "invalid_client_metadata");
      const unchanged = (await (await admin(portico, "/admin/clients/v2-app")).json()) as {
        client_name: string;
      };
      assert.equal(unchanged.client_name, "V2 App");
      // Nested as deep as any real metadata (and a good deal deeper), it is kept as sent.
      const kept = await admin(portico, "/admin/clients", {
        body: `{"client_id":"deep-app","metadata":${deep(512)}}`,
      });
      assert.equal(kept.status, 201, await kept.clone().text());
      const read = (await (await admin(portico, "/admin/clients/deep-app")).json()) as { metadata: unknown };
      assert.equal(JSON.stringify(read.metadata), deep(512));
      assert.equal((await admin(portico, "/admin/clients/deep-app", { method: "DELETE" })).status, 204);
    });

    test("a page token that is not one this server issues is a 400, not a 500 (U+0000 on PostgreSQL)", async () => {
      const token = (id: string) => Buffer.from(id, "utf8").toString("base64url");
      // A token naming "\0" or "a\0" was a 500 on PostgreSQL (its text refuses U+0000); one naming no
      // UTF-8 text, or written other than the server writes it, names no client either.
      for (const pageToken of [token("\0"), token("a\0"), "_w", "YR", "A"]) {
        const response = await admin(portico, `/admin/clients?page_token=${pageToken}`);
        await assertError(response, 400, "invalid_request");
      }
      // The tokens the server issues still page through every client.
      const first = await admin(portico, "/admin/clients?page_size=1");
      assert.equal(first.status, 200);
      const next = /page_token=([A-Za-z0-9_-]+)[^>]*>; rel="next"/.exec(first.headers.get("link") ?? "")?.[1];
      assert.ok(next, "the first page links the next");
      const second = await admin(portico, `/admin/clients?page_size=1&page_token=${next}`);
      assert.equal(second.status, 200);
      assert.notDeepEqual(await second.json(), await first.json());
    });
  });
}
