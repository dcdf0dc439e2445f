import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { loadConfig } from "../../server/config/config.ts";
import { purgeExpired } from "../../server/housekeeping.ts";
import { BACKENDS, freshDatabase } from "../support/server.ts";

const DAY = 86_400_000;

for (const backend of BACKENDS) {
  describe(`purging expired flow state (${backend})`, () => {
    let db: Database;
    let drop: () => Promise<void>;

    before(async () => {
      const database = await freshDatabase(backend);
      drop = database.drop;
      await migrate(database.url);
      db = createDatabase(database.url);
    });
    after(async () => {
      await db.$disconnect();
      await drop();
    });

    test("removes only what expired over a day ago, and keeps recently used refresh tokens", async () => {
      const now = Date.now();
      const token = (hash: string, expiresAt: number) => ({
        hash,
        grantId: "g",
        clientId: "c",
        subject: "s",
        scopes: "",
        issuedAt: new Date(now - 2 * DAY),
        expiresAt: new Date(expiresAt),
      });
      await db.accessToken.createMany({
        data: [token("old", now - 2 * DAY), token("recent", now - 1000), token("live", now + DAY)],
      });
      const refresh = (hash: string, fields: { usedAt?: Date; revokedAt?: Date }) => ({
        hash,
        grantId: "g",
        clientId: "c",
        subject: "s",
        scopes: "",
        authTime: new Date(now),
        issuedAt: new Date(now),
        ...fields,
      });
      await db.refreshToken.createMany({
        data: [
          refresh("revoked-long-ago", { revokedAt: new Date(now - 2 * DAY) }),
          refresh("used-yesterday", { usedAt: new Date(now - 2 * DAY) }),
          refresh("unused", {}),
        ],
      });
      const config = loadConfig({ SYSTEM_SECRET: "test-system-secret-0123456789" });
      const removed = await purgeExpired(db, config, now);
      assert.equal(removed.accessTokens, 1);
      assert.equal(removed.refreshTokens, 1);
      const access = (await db.accessToken.findMany()).map((row) => row.hash).sort();
      assert.deepEqual(access, ["live", "recent"]);
      const refreshTokens = (await db.refreshToken.findMany()).map((row) => row.hash).sort();
      assert.deepEqual(refreshTokens, ["unused", "used-yesterday"]);
    });
  });
}
