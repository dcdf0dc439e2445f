/**
 * The token endpoint: discovery and client_credentials through openid-client,
 * its refusals (client authentication → 401 invalid_client, grant types the
 * client did not register → unauthorized_client, unknown ones), and
 * client_credentials over raw HTTP on both backends.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as oidc from "openid-client";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";
import {
  credentialsOf,
  postForm,
  registerClient,
  relyingParty,
  startOAuth2Portico,
  type TestClient,
} from "./support.ts";

describe("discovery and the token endpoint", () => {
  let portico: Portico;
  let machine: TestClient;
  let web: TestClient;
  let spa: TestClient;

  before(async () => {
    portico = await startOAuth2Portico();
    machine = await registerClient(portico, {
      grant_types: ["client_credentials"],
      response_types: [],
      scope: "api.* reports",
    });
    web = await registerClient(portico, { grant_types: ["authorization_code"], response_types: ["code"] });
    spa = await registerClient(portico, {
      public: true,
      grant_types: ["authorization_code"],
      response_types: ["code"],
    });
  });
  after(() => portico.stop());

  test("GET /.well-known/openid-configuration: the wellKnown members and what the endpoints support", async () => {
    const response = await fetch(`${portico.url}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const document = (await response.json()) as Record<string, unknown>;
    const url = portico.url;
    assert.equal(document.issuer, url);
    assert.equal(document.authorization_endpoint, `${url}/oauth2/auth`);
    assert.equal(document.token_endpoint, `${url}/oauth2/token`);
    assert.equal(document.jwks_uri, `${url}/.well-known/jwks.json`);
    assert.equal(document.introspection_endpoint, `${url}/oauth2/introspect`);
    assert.equal(document.revocation_endpoint, `${url}/oauth2/revoke`);
    assert.deepEqual(document.subject_types_supported, ["public"]);
    assert.deepEqual(document.id_token_signing_alg_values_supported, ["RS256"]);
    assert.deepEqual([...(document.response_types_supported as string[])].sort(), [
      "code",
      "code id_token",
      "code id_token token",
      "code token",
      "id_token",
      "id_token token",
      "token",
    ]);
    assert.deepEqual([...(document.grant_types_supported as string[])].sort(), [
      "authorization_code",
      "client_credentials",
      "implicit",
      "refresh_token",
    ]);
    assert.deepEqual(document.code_challenge_methods_supported, ["S256"]);
    assert.deepEqual([...(document.token_endpoint_auth_methods_supported as string[])].sort(), [
      "client_secret_basic",
      "client_secret_post",
      "none",
    ]);
    assert.deepEqual(document.scopes_supported, ["openid", "offline", "offline_access", "profile", "email"]);
    for (const claim of ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce"]) {
      assert.ok((document.claims_supported as string[]).includes(claim), claim);
    }
    assert.deepEqual(document.response_modes_supported, ["query", "fragment", "form_post"]);
    assert.equal(document.request_uri_parameter_supported, false);

    const jwks = (await (await fetch(document.jwks_uri as string)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    assert.ok(jwks.keys.some((key) => key.kid === "public" && key.kty === "RSA" && !("d" in key)));
  });

  test("client_credentials through openid-client; bad client authentication is 401 invalid_client", async () => {
    const config = await relyingParty(portico, machine);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "api.read" });
    assert.equal(tokens.scope, "api.read");
    const seen = await oidc.tokenIntrospection(config, tokens.access_token);
    assert.equal(seen.active, true);
    assert.equal(seen.sub, machine.id);

    const failures: Array<[string, Record<string, string>, { id: string; secret: string } | undefined]> = [
      ["a wrong secret", { grant_type: "client_credentials" }, { id: machine.id, secret: "wrong" }],
      ["an unknown client", { grant_type: "client_credentials" }, { id: "nobody", secret: "x" }],
      ["no authentication", { grant_type: "client_credentials" }, undefined],
      [
        "a confidential client without its secret",
        { grant_type: "client_credentials", client_id: machine.id },
        undefined,
      ],
      [
        "client_secret_post with a wrong secret",
        { grant_type: "client_credentials", client_id: machine.id, client_secret: "wrong" },
        undefined,
      ],
    ];
    for (const [name, form, credentials] of failures) {
      const answer = await postForm(portico, "/oauth2/token", form, credentials);
      assert.equal(answer.status, 401, name);
      assert.equal(answer.json.error, "invalid_client", name);
      assert.match(answer.headers.get("www-authenticate") ?? "", /^Basic/, name);
    }
  });

  test("a grant type the client did not register: unauthorized_client; an unknown one: unsupported_grant_type", async () => {
    const cases: Array<[TestClient, Record<string, string>, string]> = [
      [machine, { grant_type: "authorization_code", code: "x" }, "unauthorized_client"],
      [machine, { grant_type: "refresh_token", refresh_token: "x" }, "unauthorized_client"],
      [web, { grant_type: "client_credentials" }, "unauthorized_client"],
      [web, { grant_type: "refresh_token", refresh_token: "x" }, "unauthorized_client"],
      [web, { grant_type: "password", username: "u", password: "p" }, "unsupported_grant_type"],
      [web, { grant_type: "__proto__" }, "unsupported_grant_type"],
      [web, {}, "invalid_request"],
    ];
    for (const [client, form, error] of cases) {
      const answer = await postForm(portico, "/oauth2/token", form, credentialsOf(client));
      assert.equal(answer.status, 400, `${form.grant_type}: ${answer.text}`);
      assert.equal(answer.json.error, error, form.grant_type);
    }
    const publicCredentials = await postForm(portico, "/oauth2/token", {
      grant_type: "client_credentials",
      client_id: spa.id,
    });
    assert.equal(publicCredentials.json.error, "unauthorized_client");
  });

  test("an unknown or malformed code: invalid_grant; a body that is not a form: invalid_request", async () => {
    const unknown = await postForm(
      portico,
      "/oauth2/token",
      { grant_type: "authorization_code", code: "no-such-code", redirect_uri: web.redirectUri },
      credentialsOf(web),
    );
    assert.equal(unknown.json.error, "invalid_grant");
    const json = await fetch(`${portico.url}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials" }),
    });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, "invalid_request");
  });
});

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
