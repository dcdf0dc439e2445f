/**
 * The OpenID Connect client fields on the 2017 client API, on every backend:
 * absent until set (an existing client's JSON is unchanged), validated, kept
 * by a PUT that leaves them out, and skip_consent settable only with its own
 * permission (rn:hydra:clients:skip_consent / set).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

const FIELDS_2017 = [
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

for (const backend of BACKENDS) {
  describe(`client fields of OpenID Connect (${backend})`, () => {
    let portico: Portico;
    let root: string;

    before(async () => {
      portico = await startPortico({ backend });
      root = await portico.rootToken("hydra.*");
    });
    after(() => portico.stop());

    const get = async (id: string) =>
      (await (await portico.call(`/clients/${id}`, { token: root })).json()) as Record<string, unknown>;

    test("a 2017 client reads exactly as before: none of the new fields appear", async () => {
      const created = await portico.call("/clients", {
        token: root,
        json: { id: "plain", redirect_uris: ["https://rp.example/cb"], skip_consent: null },
      });
      assert.equal(created.status, 201);
      const body = (await created.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), [...FIELDS_2017, "client_secret"].sort());
      assert.deepEqual(Object.keys(await get("plain")).sort(), FIELDS_2017);
      const listed = (await (await portico.call("/clients", { token: root })).json()) as Record<
        string,
        unknown
      >[];
      assert.deepEqual(Object.keys(listed.find((c) => c.id === "plain") ?? {}).sort(), FIELDS_2017);
    });

    test("set, read back, kept by a PUT that leaves them out, cleared explicitly", async () => {
      const fields = {
        skip_consent: true,
        post_logout_redirect_uris: ["https://rp.example/signed-out", "com.example.app:/out"],
        backchannel_logout_uri: "https://rp.example/backchannel",
        backchannel_logout_session_required: true,
      };
      const created = await portico.call("/clients", { token: root, json: { id: "trusted", ...fields } });
      assert.equal(created.status, 201, await created.clone().text());
      assert.deepEqual(
        { ...(await get("trusted")), id: undefined },
        { ...(await get("trusted")), ...fields, id: undefined },
      );
      // A 2017 SDK's read-modify-write: it does not know the fields and sends them not.
      const put = await portico.call("/clients/trusted", {
        method: "PUT",
        token: root,
        json: { client_name: "Renamed" },
      });
      assert.equal(put.status, 200);
      const kept = await get("trusted");
      assert.equal(kept.client_name, "Renamed");
      for (const [name, value] of Object.entries(fields)) assert.deepEqual(kept[name], value, name);
      const cleared = await portico.call("/clients/trusted", {
        method: "PUT",
        token: root,
        json: {
          skip_consent: false,
          post_logout_redirect_uris: [],
          backchannel_logout_uri: "",
          backchannel_logout_session_required: false,
        },
      });
      assert.equal(cleared.status, 200);
      assert.deepEqual(Object.keys(await get("trusted")).sort(), FIELDS_2017);
    });

    test("bad values are 400 and change nothing", async () => {
      const cases: Array<[string, Record<string, unknown>]> = [
        ["a relative post-logout URI", { post_logout_redirect_uris: ["/signed-out"] }],
        ["a post-logout URI with a fragment", { post_logout_redirect_uris: ["https://rp.example/out#x"] }],
        ["post_logout_redirect_uris not a list", { post_logout_redirect_uris: "https://rp.example/out" }],
        ["a javascript: back-channel URI", { backchannel_logout_uri: "javascript:alert(1)" }],
        ["a back-channel URI with a fragment", { backchannel_logout_uri: "https://rp.example/bc#x" }],
        ["skip_consent not a boolean", { skip_consent: "yes" }],
        ["session_required not a boolean", { backchannel_logout_session_required: 1 }],
      ];
      for (const [name, fields] of cases) {
        const response = await portico.call("/clients", { token: root, json: { id: "bad", ...fields } });
        assert.equal(response.status, 400, name);
        const body = (await response.json()) as { error: { code: number; message: string } };
        assert.equal(body.error.code, 400, name);
      }
      assert.equal((await portico.call("/clients/bad", { token: root })).status, 404);
    });

    test("only a caller allowed rn:hydra:clients:skip_consent / set may trust a client", async () => {
      await portico.call("/clients", {
        token: root,
        json: {
          id: "manager",
          client_secret: "manager-secret-0123456789",
          grant_types: ["client_credentials"],
          scope: "hydra.clients",
        },
      });
      const policy = await portico.call("/policies", {
        token: root,
        json: {
          id: "manager-manages-clients",
          subjects: ["manager"],
          resources: ["rn:hydra:clients", "rn:hydra:clients:<.*>"],
          actions: ["get", "create", "update", "delete"],
          effect: "allow",
        },
      });
      assert.equal(policy.status, 201);
      const token = await portico.tokenFor("manager", "manager-secret-0123456789", "hydra.clients");
      const trusted = await portico.call("/clients", {
        token,
        json: { id: "wants-trust", skip_consent: true },
      });
      assert.equal(trusted.status, 403);
      assert.equal(
        (await portico.call("/clients/wants-trust", { token: root })).status,
        404,
        "nothing written",
      );
      assert.equal((await portico.call("/clients", { token, json: { id: "ordinary" } })).status, 201);
      const raise = await portico.call("/clients/ordinary", {
        method: "PUT",
        token,
        json: { skip_consent: true },
      });
      assert.equal(raise.status, 403);
      assert.equal((await get("ordinary")).skip_consent, undefined);
      // Other fields and an unchanged skip_consent need no more than client rights.
      const other = await portico.call("/clients/ordinary", {
        method: "PUT",
        token,
        json: { skip_consent: false, post_logout_redirect_uris: ["https://rp.example/out"] },
      });
      assert.equal(other.status, 200);
      const granted = await portico.call("/policies", {
        token: root,
        json: {
          id: "manager-trusts",
          subjects: ["manager"],
          resources: ["rn:hydra:clients:skip_consent"],
          actions: ["set"],
          effect: "allow",
        },
      });
      assert.equal(granted.status, 201);
      assert.equal(
        (await portico.call("/clients/ordinary", { method: "PUT", token, json: { skip_consent: true } }))
          .status,
        200,
      );
      assert.equal((await get("ordinary")).skip_consent, true);
    });
  });
}
