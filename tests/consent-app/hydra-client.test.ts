import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { EMBEDDED_CONSENT_CLIENT_ID, embeddedConsentClientSecret } from "@/common/consent-client.ts";
import { HydraClient } from "@/lib/hydra/client.ts";
import { HydraError } from "@/lib/hydra/errors.ts";
import { freePort } from "@/tests/support/ports.ts";
import { type Portico, startPortico } from "@/tests/support/server.ts";

interface Call {
  method: string;
  url: string;
  authorization: string | null;
  body: string | null;
}

/** A scripted server: answers each path with the next queued response. */
function fakeServer(routes: Record<string, Array<() => Response>>) {
  const calls: Call[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    calls.push({
      method: init?.method ?? "GET",
      url,
      authorization: headers.get("authorization"),
      body: init?.body ? String(init.body) : null,
    });
    const queue = routes[new URL(url).pathname];
    const next = queue?.length ? (queue.length > 1 ? queue.shift() : queue[0]) : undefined;
    return next ? next() : new Response("not scripted", { status: 599 });
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const token =
  (value: string, expiresIn = 3600) =>
  () =>
    json({ access_token: value, token_type: "bearer", expires_in: expiresIn });
const consentRequest = {
  id: "c1",
  audience: "app",
  requestedScopes: ["openid", "email"],
  redirectUrl: "http://127.0.0.1/oauth2/auth?client_id=app&consent=c1&consent_verifier=v",
  expiresAt: "2030-01-01T00:00:00Z",
};
const apiError = (code: number, message: string) => () =>
  json({ error: { code, status: "x", message } }, code);

describe("the consent app's Hydra API client", () => {
  test("an answered consent request: the client Portico names beside the 409, its links http(s) only", async () => {
    const answered = (client: Record<string, unknown> | undefined) => () =>
      json(
        {
          error: { code: 409, status: "Conflict", message: "already" },
          ...(client ? { client } : {}),
        },
        409,
      );
    const server = fakeServer({
      "/oauth2/token": [token("t")],
      "/oauth2/consent/requests/c1": [
        answered({ id: "app", client_name: "App", client_uri: "https://app.example/home" }),
        answered({ id: "app", client_name: "App", client_uri: "javascript:alert(1)" }),
        answered(undefined),
        answered({ client_name: 7 }),
      ],
    });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "a",
      clientSecret: "b",
      fetch: server.fetch,
    });
    const clientOf = async () => {
      const error = await client.getConsentRequest("c1").then(
        () => assert.fail("answered"),
        (error: unknown) => error,
      );
      assert.ok(error instanceof HydraError);
      assert.equal(error.code, "already_handled");
      return error.client;
    };
    assert.equal((await clientOf())?.client_uri, "https://app.example/home");
    const hostile = await clientOf();
    assert.equal(hostile?.client_name, "App");
    assert.equal(hostile?.client_uri, "", "no javascript: link");
    assert.equal(await clientOf(), undefined, "a server that names none (any other than Portico)");
    assert.equal(await clientOf(), undefined, "one that names a client this app cannot read");
  });

  test("fetches a client-credentials token once and reuses it until shortly before it expires", async () => {
    let now = 0;
    const server = fakeServer({
      "/oauth2/token": [token("t1", 3600), token("t2", 3600)],
      "/oauth2/consent/requests/c1": [() => json(consentRequest)],
    });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "app id",
      clientSecret: "s:cret",
      fetch: server.fetch,
      now: () => now,
    });

    // A 2017 server's request: the OpenID Connect additions read as empty.
    assert.deepEqual(await client.getConsentRequest("c1"), {
      ...consentRequest,
      prompt: [],
      uiLocales: [],
      acrValues: [],
      interactionRequired: false,
    });
    await client.getConsentRequest("c1");
    now = 3600_000 - 61_000;
    await client.getConsentRequest("c1");
    now = 3600_000 - 59_000;
    await client.getConsentRequest("c1");

    const tokenCalls = server.calls.filter((call) => call.url.endsWith("/oauth2/token"));
    assert.equal(tokenCalls.length, 2);
    assert.equal(
      tokenCalls[0]?.authorization,
      `Basic ${Buffer.from("app%20id:s%3Acret").toString("base64")}`,
    );
    assert.match(tokenCalls[0]?.body ?? "", /grant_type=client_credentials/);
    assert.match(tokenCalls[0]?.body ?? "", /scope=hydra.consent\+hydra.clients/);
    const bearers = server.calls
      .filter((call) => !call.url.endsWith("/oauth2/token"))
      .map((c) => c.authorization);
    assert.deepEqual(bearers, ["Bearer t1", "Bearer t1", "Bearer t1", "Bearer t2"]);
  });

  test("asks for one token at a time however many calls need it", async () => {
    const server = fakeServer({
      "/oauth2/token": [token("t1")],
      "/clients/app": [() => json({ id: "app", client_name: "App" })],
    });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "a",
      clientSecret: "b",
      fetch: server.fetch,
    });
    await Promise.all([client.getClient("app"), client.getClient("app"), client.getClient("app")]);
    assert.equal(server.calls.filter((call) => call.url.endsWith("/oauth2/token")).length, 1);
  });

  test("a refused token is replaced once", async () => {
    const server = fakeServer({
      "/oauth2/token": [token("old"), token("new")],
      "/clients/app": [apiError(401, "token revoked"), () => json({ id: "app" })],
    });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "a",
      clientSecret: "b",
      fetch: server.fetch,
    });
    assert.equal((await client.getClient("app")).id, "app");
    const bearers = server.calls
      .filter((call) => call.url.endsWith("/clients/app"))
      .map((c) => c.authorization);
    assert.deepEqual(bearers, ["Bearer old", "Bearer new"]);
  });

  test("maps the consent request's state to typed errors", async () => {
    for (const [status, code] of [
      [404, "not_found"],
      [410, "expired"],
      [409, "already_handled"],
      [403, "unauthorized"],
      [500, "bad_response"],
    ] as const) {
      const server = fakeServer({
        "/oauth2/token": [token("t")],
        "/oauth2/consent/requests/c1": [apiError(status, "nope")],
      });
      const client = new HydraClient({
        url: "http://hydra",
        clientId: "a",
        clientSecret: "b",
        fetch: server.fetch,
      });
      await assert.rejects(client.getConsentRequest("c1"), (error: unknown) => {
        assert.ok(error instanceof HydraError);
        assert.equal(error.code, code);
        assert.equal(error.details.status, status);
        return true;
      });
    }
  });

  test("sends accept and reject bodies as the API names them", async () => {
    const server = fakeServer({
      "/oauth2/token": [token("t")],
      "/oauth2/consent/requests/c1/accept": [() => new Response(null, { status: 204 })],
      "/oauth2/consent/requests/c1/reject": [() => new Response(null, { status: 204 })],
    });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "a",
      clientSecret: "b",
      fetch: server.fetch,
    });
    const acceptance = {
      subject: "u1",
      grantScopes: ["openid"],
      accessTokenExtra: {},
      idTokenExtra: { name: "Ann" },
    };
    await client.acceptConsentRequest("c1", acceptance);
    await client.rejectConsentRequest("c1", { reason: "denied" });
    const [accept, reject] = server.calls.filter((call) => call.method === "PATCH");
    assert.deepEqual(JSON.parse(accept?.body ?? ""), acceptance);
    assert.deepEqual(JSON.parse(reject?.body ?? ""), { reason: "denied" });
  });

  test("refuses answers that do not match the API", async () => {
    const server = fakeServer({
      "/oauth2/token": [token("t")],
      "/oauth2/consent/requests/c1": [() => json({ ...consentRequest, redirectUrl: 42 })],
    });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "a",
      clientSecret: "b",
      fetch: server.fetch,
    });
    await assert.rejects(client.getConsentRequest("c1"), { name: "HydraError", code: "bad_response" });
  });

  test("a client's links are kept only when they are http(s)", async () => {
    const server = fakeServer({
      "/oauth2/token": [token("t")],
      "/clients/app": [
        () =>
          json({
            id: "app",
            client_name: null,
            logo_uri: "javascript:alert(1)",
            tos_uri: "https://app.example/tos",
          }),
      ],
    });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "a",
      clientSecret: "b",
      fetch: server.fetch,
    });
    assert.deepEqual(await client.getClient("app"), {
      id: "app",
      client_name: "",
      client_uri: "",
      logo_uri: "",
      policy_uri: "",
      tos_uri: "https://app.example/tos",
      skip_consent: false,
    });
  });

  test("a server that does not answer is `unreachable`", async () => {
    const client = new HydraClient({
      url: `http://127.0.0.1:${await freePort()}`,
      clientId: "a",
      clientSecret: "b",
      timeoutMs: 2000,
    });
    await assert.rejects(client.getConsentRequest("c1"), { name: "HydraError", code: "unreachable" });
  });

  test("a server that takes the connection but never answers is `unreachable` after the time limit", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const client = new HydraClient({
        url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        clientId: "a",
        clientSecret: "b",
        timeoutMs: 200,
      });
      await assert.rejects(client.getConsentRequest("c1"), { name: "HydraError", code: "unreachable" });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test("wrong client credentials are `unauthorized`", async () => {
    const server = fakeServer({ "/oauth2/token": [() => json({ error: "invalid_client" }, 401)] });
    const client = new HydraClient({
      url: "http://hydra",
      clientId: "a",
      clientSecret: "b",
      fetch: server.fetch,
    });
    await assert.rejects(client.getClient("app"), { name: "HydraError", code: "unauthorized" });
  });
});

describe("the consent app's Hydra API client against the embedded server", () => {
  let portico: Portico;
  let client: HydraClient;
  const secret = "test-system-secret-0123456789";

  before(async () => {
    portico = await startPortico({ env: { SYSTEM_SECRET: secret } });
    client = new HydraClient({
      url: portico.url,
      clientId: EMBEDDED_CONSENT_CLIENT_ID,
      clientSecret: embeddedConsentClientSecret(secret),
    });
  });
  after(() => portico.stop());

  test("the bootstrapped consent client may read clients", async () => {
    const self = await client.getClient(EMBEDDED_CONSENT_CLIENT_ID);
    assert.equal(self.id, EMBEDDED_CONSENT_CLIENT_ID);
    assert.equal(self.client_name, "Portico login & consent app");
  });

  test("an unknown consent request is not_found", async () => {
    await assert.rejects(client.getConsentRequest("no-such-request"), {
      name: "HydraError",
      code: "not_found",
    });
  });
});
