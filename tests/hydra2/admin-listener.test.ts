import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "@/server/config/config.ts";
import { assertError } from "@/tests/hydra2/openapi.ts";
import { admin, failure, sdk } from "@/tests/hydra2/support.ts";
import { freePort } from "@/tests/support/ports.ts";
import { type Portico, startPortico } from "@/tests/support/server.ts";

const SYSTEM_SECRET = "test-system-secret-0123456789";

describe("admin listener configuration", () => {
  test("defaults to 127.0.0.1:3001, never all interfaces", () => {
    const config = loadConfig({ SYSTEM_SECRET });
    assert.equal(config.adminHost, "127.0.0.1");
    assert.equal(config.adminPort, 3001);
  });

  test("ADMIN_PORT and ADMIN_HOST are read", () => {
    const config = loadConfig({ SYSTEM_SECRET, ADMIN_PORT: "4445", ADMIN_HOST: "::1" });
    assert.equal(config.adminPort, 4445);
    assert.equal(config.adminHost, "::1");
  });

  test("a bad ADMIN_PORT, or the public port, stops the start naming the variable", () => {
    assert.throws(() => loadConfig({ SYSTEM_SECRET, ADMIN_PORT: "http" }), ConfigError);
    assert.throws(() => loadConfig({ SYSTEM_SECRET, ADMIN_PORT: "70000" }), /ADMIN_PORT/);
    assert.throws(() => loadConfig({ SYSTEM_SECRET, PORT: "4000", ADMIN_PORT: "4000" }), /ADMIN_PORT/);
  });
});

describe("admin listener", () => {
  let portico: Portico;
  before(async () => {
    portico = await startPortico();
  });
  after(async () => {
    await portico?.stop();
  });

  test("serves health and version without any credentials", async () => {
    const alive = await fetch(`${portico.adminUrl}/health/alive`);
    assert.equal(alive.status, 200);
    assert.deepEqual(await alive.json(), { status: "ok" });
    const ready = await fetch(`${portico.adminUrl}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ok" });
    const version = await fetch(`${portico.adminUrl}/version`);
    assert.equal(version.status, 200);
    assert.match(((await version.json()) as { version: string }).version, /^v\d+\.\d+\.\d+/);
    assert.equal(version.headers.get("cache-control"), "no-store");
  });

  test("is not the public port: the public port answers /admin/* with a 404 and no admin data", async () => {
    const response = await portico.call("/admin/clients");
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: number } };
    assert.equal(body.error.code, 404);
  });

  test("the admin port does not serve the 2017 API or the pages", async () => {
    const response = await fetch(`${portico.adminUrl}/clients`);
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: string; error_description: string };
    assert.equal(body.error, "Not Found");
    assert.equal(typeof body.error_description, "string");
  });

  test("the document's operations it does not implement are a 501 naming the operation, not a 404", async () => {
    const api = sdk(portico);
    const id = "some-client";
    const rotate = `/admin/clients/${id}/secrets/rotate`;
    // Through Ory's SDK where it has the operation (secret rotation is newer than it).
    const calls: [() => Promise<Response>, string][] = [
      [
        () => failure(api.oauth2.setOAuth2ClientLifespans({ id, oAuth2ClientTokenLifespans: {} })),
        "setOAuth2ClientLifespans",
      ],
      [() => admin(portico, rotate, { method: "POST" }), "rotateOAuth2ClientSecret"],
      [() => admin(portico, rotate, { method: "DELETE" }), "deleteRotatedOAuth2ClientSecrets"],
      [
        () =>
          failure(
            api.oauth2.acceptUserCodeRequest({ deviceChallenge: "x", acceptDeviceUserCodeRequest: {} }),
          ),
        "acceptUserCodeRequest",
      ],
      [() => failure(api.oauth2.listTrustedOAuth2JwtGrantIssuers({})), "listTrustedOAuth2JwtGrantIssuers"],
      [() => failure(api.oauth2.getTrustedOAuth2JwtGrantIssuer({ id })), "getTrustedOAuth2JwtGrantIssuer"],
      [
        () => failure(api.oauth2.deleteTrustedOAuth2JwtGrantIssuer({ id })),
        "deleteTrustedOAuth2JwtGrantIssuer",
      ],
      [
        () =>
          failure(
            api.oauth2.trustOAuth2JwtGrantIssuer({
              trustOAuth2JwtGrantIssuer: {
                issuer: "https://issuer.example",
                scope: ["read"],
                expires_at: new Date(Date.now() + 3_600_000),
                jwk: { alg: "RS256", kid: "k", kty: "RSA", use: "sig" },
              },
            }),
          ),
        "trustOAuth2JwtGrantIssuer",
      ],
    ];
    for (const [call, operation] of calls) {
      const response = await call();
      const description = ((await response.clone().json()) as { error_description: string })
        .error_description;
      await assertError(response, 501, "Not Implemented");
      assert.ok(description.includes(operation), `${description} names ${operation}`);
    }
  });

  test("listens on ADMIN_HOST only", async () => {
    // 127.0.0.1 by default in the harness: the same port on another loopback address is closed.
    const other = portico.adminUrl.replace("127.0.0.1", "127.0.0.2");
    await assert.rejects(fetch(`${other}/health/alive`));
  });
});

describe("admin listener with workers", () => {
  test("every worker serves both ports; an admin port in use stops the start", async () => {
    const portico = await startPortico({ env: { WORKERS: "2" } });
    try {
      for (let i = 0; i < 4; i++) {
        assert.equal((await fetch(`${portico.adminUrl}/health/alive`)).status, 200);
        assert.equal((await portico.call("/health")).status, 200);
      }
    } finally {
      await portico.stop();
    }
    const adminPort = await freePort();
    const { createServer } = await import("node:net");
    const squatter = createServer().listen(adminPort, "127.0.0.1");
    try {
      await assert.rejects(
        startPortico({ env: { WORKERS: "2", ADMIN_PORT: String(adminPort) } }),
        /exited with 1/,
      );
    } finally {
      squatter.close();
    }
  });
});
