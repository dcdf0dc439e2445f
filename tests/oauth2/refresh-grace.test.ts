import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";
import {
  authorizeThrough,
  Browser,
  ConsentApp,
  credentialsOf,
  postForm,
  randomValue,
  registerClient,
  responseParams,
  sleep,
  startOAuth2Portico,
  type TestClient,
} from "./support.ts";

async function offlineTokens(portico: Portico, client: TestClient) {
  const consentApp = await ConsentApp.for(portico);
  const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
    response_type: "code",
    client_id: client.id,
    redirect_uri: client.redirectUri,
    scope: "openid offline",
    state: randomValue(),
  });
  const code = responseParams(response, "query").get("code") ?? "";
  const tokens = await postForm(
    portico,
    "/oauth2/token",
    { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
    credentialsOf(client),
  );
  return tokens.json as { access_token: string; refresh_token: string };
}

const refresh = (portico: Portico, client: TestClient, token: string) =>
  postForm(
    portico,
    "/oauth2/token",
    { grant_type: "refresh_token", refresh_token: token },
    credentialsOf(client),
  );

const introspect = async (portico: Portico, client: TestClient, token: string) =>
  (await postForm(portico, "/oauth2/introspect", { token }, credentialsOf(client))).json.active;

const fields = { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] };

for (const backend of BACKENDS) {
  describe(`REFRESH_TOKEN_ROTATION_GRACE_PERIOD (finding 10, ${backend})`, () => {
    let withGrace: Portico;
    let without: Portico;
    before(async () => {
      [withGrace, without] = await Promise.all([
        startOAuth2Portico({ backend, env: { REFRESH_TOKEN_ROTATION_GRACE_PERIOD: "2s" } }),
        startOAuth2Portico({ backend }),
      ]);
    });
    after(() => Promise.all([withGrace.stop(), without.stop()]));

    test("within the grace period two concurrent refreshes both succeed and nothing is revoked", async () => {
      const client = await registerClient(withGrace, fields);
      const first = await offlineTokens(withGrace, client);
      const [a, b] = await Promise.all([
        refresh(withGrace, client, first.refresh_token),
        refresh(withGrace, client, first.refresh_token),
      ]);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      assert.notEqual(a.json.refresh_token, b.json.refresh_token);
      assert.equal(await introspect(withGrace, client, a.json.access_token as string), true);
      assert.equal(await introspect(withGrace, client, b.json.access_token as string), true);
      assert.equal(await introspect(withGrace, client, first.access_token), true);
      assert.equal((await refresh(withGrace, client, a.json.refresh_token as string)).status, 200);
      assert.equal((await refresh(withGrace, client, b.json.refresh_token as string)).status, 200);
    });

    test("after the grace period a reused token still revokes the whole family", async () => {
      const client = await registerClient(withGrace, fields);
      const first = await offlineTokens(withGrace, client);
      const next = await refresh(withGrace, client, first.refresh_token);
      assert.equal(next.status, 200);
      await sleep(2500);
      const reused = await refresh(withGrace, client, first.refresh_token);
      assert.equal(reused.json.error, "invalid_grant");
      assert.equal(await introspect(withGrace, client, next.json.access_token as string), false);
      assert.equal(
        (await refresh(withGrace, client, next.json.refresh_token as string)).json.error,
        "invalid_grant",
      );
    });

    test("by default (0s) the second of two concurrent refreshes revokes the grant, as before", async () => {
      const client = await registerClient(without, fields);
      const first = await offlineTokens(without, client);
      const results = await Promise.all([
        refresh(without, client, first.refresh_token),
        refresh(without, client, first.refresh_token),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
      const winner = results.find((r) => r.status === 200)!;
      assert.equal(
        (await refresh(without, client, winner.json.refresh_token as string)).json.error,
        "invalid_grant",
      );
    });
  });
}

describe("REFRESH_TOKEN_ROTATION_GRACE_PERIOD bounds", () => {
  test("0s to 5m; more is refused at start", async () => {
    const { loadConfig } = await import("@/server/config/config.ts");
    const secret = { SYSTEM_SECRET: "a-system-secret-0123456789" };
    assert.equal(loadConfig(secret).refreshTokenRotationGracePeriodMs, 0);
    assert.equal(
      loadConfig({ ...secret, REFRESH_TOKEN_ROTATION_GRACE_PERIOD: "5m" }).refreshTokenRotationGracePeriodMs,
      300_000,
    );
    assert.throws(
      () => loadConfig({ ...secret, REFRESH_TOKEN_ROTATION_GRACE_PERIOD: "6m" }),
      /REFRESH_TOKEN_ROTATION_GRACE_PERIOD/,
    );
    assert.throws(
      () => loadConfig({ ...secret, REFRESH_TOKEN_ROTATION_GRACE_PERIOD: "soon" }),
      /REFRESH_TOKEN_ROTATION_GRACE_PERIOD/,
    );
  });
});
