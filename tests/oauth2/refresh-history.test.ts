import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { loadConfig } from "@/server/config/config.ts";
import { purgeExpired } from "@/server/housekeeping.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";
import {
  isActive,
  offlineTokens,
  REFRESHING_CLIENT,
  refreshWith,
  registerClient,
  SYSTEM_SECRET,
  startOAuth2Portico,
  type TestClient,
} from "./support.ts";

const DAY = 86_400_000;
const fields = REFRESHING_CLIENT;

/** The client's rotated (used) refresh tokens, issued and used `days` ago. */
async function ageRotated(db: Database, client: TestClient, days: number): Promise<void> {
  const then = new Date(Date.now() - days * DAY);
  const { count } = await db.refreshToken.updateMany({
    where: { clientId: client.id, usedAt: { not: null } },
    data: { issuedAt: then, usedAt: then, authTime: then },
  });
  assert.equal(count, 1);
}

for (const backend of BACKENDS) {
  describe(`housekeeping keeps what refresh-token reuse detection needs (${backend})`, () => {
    const lifespan = "2160h"; // 90 days
    let portico: Portico;
    let db: Database;
    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { REFRESH_TOKEN_LIFESPAN: lifespan } });
      db = createDatabase(portico.databaseUrl);
    });
    after(async () => {
      await db.$disconnect();
      await portico.stop();
    });

    test("a rotated token presented again within its lifespan still revokes the family, after a purge", async () => {
      const client = await registerClient(portico, fields);
      const stolen = await offlineTokens(portico, client);
      // Whoever stole the token refreshes first; the app comes back with it 45 days later.
      const theirs = await refreshWith(portico, client, stolen.refresh_token);
      assert.equal(theirs.status, 200, theirs.text);
      await ageRotated(db, client, 45);
      await purgeExpired(db, loadConfig({ SYSTEM_SECRET, REFRESH_TOKEN_LIFESPAN: lifespan }));

      const reused = await refreshWith(portico, client, stolen.refresh_token);
      assert.equal(reused.json.error, "invalid_grant");
      assert.equal(await isActive(portico, client, theirs.json.access_token as string), false);
      assert.equal(
        (await refreshWith(portico, client, theirs.json.refresh_token as string)).json.error,
        "invalid_grant",
      );
    });

    test("once past its lifespan (and a day), a rotated token is purged", async () => {
      const client = await registerClient(portico, fields);
      const first = await offlineTokens(portico, client);
      assert.equal((await refreshWith(portico, client, first.refresh_token)).status, 200);
      await ageRotated(db, client, 92);
      await purgeExpired(db, loadConfig({ SYSTEM_SECRET, REFRESH_TOKEN_LIFESPAN: lifespan }));
      assert.equal(await db.refreshToken.count({ where: { clientId: client.id, usedAt: { not: null } } }), 0);
      assert.equal(await db.refreshToken.count({ where: { clientId: client.id } }), 1);
    });
  });
}
