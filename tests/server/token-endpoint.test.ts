import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

function basic(id: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` };
}

for (const backend of BACKENDS) {
  describe(`POST /oauth2/token, client_credentials (${backend})`, () => {
    let portico: Portico;

    async function token(headers: Record<string, string>, form: Record<string, string>) {
      const response = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(form),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as Record<string, unknown>,
      };
    }

    before(async () => {
      portico = await startPortico({ backend });
      const root = await portico.rootToken();
      const created = await portico.call("/clients", {
        token: root,
        json: {
          id: "machine",
          client_secret: "s3cret: with spaces & symbols",
          grant_types: ["client_credentials"],
          scope: "read write.*",
        },
      });
      assert.equal(created.status, 201);
      await portico.call("/clients", {
        token: root,
        json: { id: "web-only", client_secret: "web-only-secret-value" },
      });
    });
    after(() => portico.stop());

    test("client_secret_basic with raw and with form-urlencoded credentials", async () => {
      const raw = await token(basic("machine", "s3cret: with spaces & symbols"), {
        grant_type: "client_credentials",
      });
      assert.equal(raw.status, 200);
      assert.equal(raw.body.token_type, "bearer");
      assert.equal(raw.body.expires_in, 3600);
      assert.equal(raw.body.scope, "read write.*");
      assert.equal(raw.headers.get("cache-control"), "no-store");
      const encoded = await token(basic("machine", encodeURIComponent("s3cret: with spaces & symbols")), {
        grant_type: "client_credentials",
        scope: "read write.files",
      });
      assert.equal(encoded.status, 200);
      assert.equal(encoded.body.scope, "read write.files");
    });

    test("client_secret_post", async () => {
      const response = await token(
        {},
        {
          grant_type: "client_credentials",
          client_id: "machine",
          client_secret: "s3cret: with spaces & symbols",
        },
      );
      assert.equal(response.status, 200);
    });

    const refusals: Array<[string, Record<string, string>, Record<string, string>, number, string]> = [
      [
        "a wrong secret",
        basic("machine", "wrong"),
        { grant_type: "client_credentials" },
        401,
        "invalid_client",
      ],
      [
        "an unknown client",
        basic("nobody", "x"),
        { grant_type: "client_credentials" },
        401,
        "invalid_client",
      ],
      ["no authentication", {}, { grant_type: "client_credentials" }, 401, "invalid_client"],
      [
        "a malformed Basic header",
        { authorization: "Basic !!!" },
        { grant_type: "client_credentials" },
        401,
        "invalid_client",
      ],
      [
        "a scope the client may not request",
        basic("machine", "s3cret: with spaces & symbols"),
        { grant_type: "client_credentials", scope: "admin" },
        400,
        "invalid_scope",
      ],
      [
        "'foo' never implies 'foobar'",
        basic("machine", "s3cret: with spaces & symbols"),
        { grant_type: "client_credentials", scope: "readwrite" },
        400,
        "invalid_scope",
      ],
      [
        "an unknown grant type",
        basic("machine", "s3cret: with spaces & symbols"),
        { grant_type: "password" },
        400,
        "unsupported_grant_type",
      ],
      [
        "a grant type the client is not registered for",
        basic("web-only", "web-only-secret-value"),
        { grant_type: "client_credentials" },
        400,
        "unauthorized_client",
      ],
      ["no grant type", basic("machine", "s3cret: with spaces & symbols"), {}, 400, "invalid_request"],
    ];
    for (const [name, headers, form, status, error] of refusals) {
      test(`refuses ${name}: ${status} ${error}`, async () => {
        const response = await token(headers, form);
        assert.equal(response.status, status);
        assert.equal(response.body.error, error);
        assert.equal(typeof response.body.error_description, "string");
      });
    }

    test("a JSON body is refused as invalid_request", async () => {
      const response = await fetch(`${portico.url}/oauth2/token`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...basic("machine", "s3cret: with spaces & symbols"),
        },
        body: JSON.stringify({ grant_type: "client_credentials" }),
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, "invalid_request");
    });

    test("the issued token authorizes admin calls only within its scopes", async () => {
      const limited = await portico.rootToken("hydra.health");
      assert.equal((await portico.call("/health/stats", { token: limited })).status, 200);
      assert.equal((await portico.call("/clients", { token: limited })).status, 403);
    });
  });
}
