import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";
import {
  isActive,
  offlineTokens,
  REFRESHING_CLIENT,
  refreshWith,
  registerClient,
  sleep,
  startOAuth2Portico,
} from "./support.ts";

const fields = REFRESHING_CLIENT;

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
        refreshWith(withGrace, client, first.refresh_token),
        refreshWith(withGrace, client, first.refresh_token),
      ]);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      assert.notEqual(a.json.refresh_token, b.json.refresh_token);
      assert.equal(await isActive(withGrace, client, a.json.access_token as string), true);
      assert.equal(await isActive(withGrace, client, b.json.access_token as string), true);
      assert.equal(await isActive(withGrace, client, first.access_token), true);
      assert.equal((await refreshWith(withGrace, client, a.json.refresh_token as string)).status, 200);
      assert.equal((await refreshWith(withGrace, client, b.json.refresh_token as string)).status, 200);
    });

    test("after the grace period a reused token still revokes the whole family", async () => {
      const client = await registerClient(withGrace, fields);
      const first = await offlineTokens(withGrace, client);
      const next = await refreshWith(withGrace, client, first.refresh_token);
      assert.equal(next.status, 200);
      await sleep(2500);
      const reused = await refreshWith(withGrace, client, first.refresh_token);
      assert.equal(reused.json.error, "invalid_grant");
      assert.equal(await isActive(withGrace, client, next.json.access_token as string), false);
      assert.equal(
        (await refreshWith(withGrace, client, next.json.refresh_token as string)).json.error,
        "invalid_grant",
      );
    });

    test("by default (0s) the second of two concurrent refreshes revokes the grant, as before", async () => {
      const client = await registerClient(without, fields);
      const first = await offlineTokens(without, client);
      const results = await Promise.all([
        refreshWith(without, client, first.refresh_token),
        refreshWith(without, client, first.refresh_token),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
      const winner = results.find((r) => r.status === 200)!;
      assert.equal(
        (await refreshWith(without, client, winner.json.refresh_token as string)).json.error,
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
