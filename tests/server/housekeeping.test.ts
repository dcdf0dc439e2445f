import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { loadConfig } from "@/server/config/config.ts";
import { purgeExpired } from "@/server/housekeeping.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

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

    test("deletes in bounded batches until nothing expired is left", async () => {
      const now = Date.now();
      const rows = Array.from({ length: 23 }, (_, i) => ({
        hash: `batch-${i}`,
        grantId: "g",
        clientId: "c",
        subject: "s",
        scopes: "",
        issuedAt: new Date(now - 3 * DAY),
        expiresAt: new Date(i < 17 ? now - 2 * DAY : now + DAY),
      }));
      await db.accessToken.createMany({ data: rows });
      await db.refreshToken.createMany({
        data: Array.from({ length: 9 }, (_, i) => ({
          hash: `batch-refresh-${i}`,
          grantId: "g",
          clientId: "c",
          subject: "s",
          scopes: "",
          authTime: new Date(now),
          issuedAt: new Date(now),
          // Some match both conditions: each is counted once.
          revokedAt: i % 2 === 0 ? new Date(now - 2 * DAY) : null,
          usedAt: i % 3 === 0 ? new Date(now - 40 * DAY) : null,
        })),
      });
      const config = loadConfig({ SYSTEM_SECRET: "test-system-secret-0123456789" });
      const removed = await purgeExpired(db, config, now, 4);
      assert.equal(removed.accessTokens, 17);
      assert.equal(removed.refreshTokens, 6);
      const left = await db.accessToken.count({ where: { hash: { startsWith: "batch-" } } });
      assert.equal(left, 6);
      assert.equal(await db.refreshToken.count({ where: { hash: { startsWith: "batch-refresh-" } } }), 3);
      assert.deepEqual(await purgeExpired(db, config, now, 4), {
        consentRequests: 0,
        codes: 0,
        accessTokens: 0,
        refreshTokens: 0,
        grants: 0,
        revokedGrants: 0,
        logoutRequests: 0,
        loginSessions: 0,
        rememberedConsents: 0,
      });
    });

    test("a grant's revocation mark goes after a day, once what is left of the grant is revoked row by row", async () => {
      const now = Date.now();
      const marked = (grantId: string, at: number) => ({ grantId, revokedAt: new Date(at) });
      await db.revokedGrant.createMany({
        data: [marked("mark-old", now - 2 * DAY), marked("mark-new", now - 1000)],
      });
      const rows = (grantId: string) => ({ grantId, clientId: "c", subject: "s", scopes: "" });
      for (const grantId of ["mark-old", "mark-new"]) {
        await db.accessToken.create({
          data: {
            ...rows(grantId),
            hash: `at-${grantId}`,
            issuedAt: new Date(now),
            expiresAt: new Date(now + DAY),
          },
        });
        await db.refreshToken.create({
          data: { ...rows(grantId), hash: `rt-${grantId}`, authTime: new Date(now), issuedAt: new Date(now) },
        });
        await db.authorizationCode.create({
          data: {
            ...rows(grantId),
            hash: `code-${grantId}`,
            redirectUri: "",
            authTime: new Date(now),
            expiresAt: new Date(now + DAY),
          },
        });
      }
      const config = loadConfig({ SYSTEM_SECRET: "test-system-secret-0123456789" });
      assert.equal((await purgeExpired(db, config, now)).revokedGrants, 1);
      assert.deepEqual(
        (await db.revokedGrant.findMany()).map((row) => row.grantId),
        ["mark-new"],
      );
      const old = { grantId: "mark-old" };
      assert.equal(await db.accessToken.count({ where: { ...old, revokedAt: null } }), 0);
      assert.equal(await db.refreshToken.count({ where: { ...old, revokedAt: null } }), 0);
      assert.equal(await db.authorizationCode.count({ where: { ...old, usedAt: null } }), 0);
      const recent = { grantId: "mark-new" };
      assert.equal(
        await db.accessToken.count({ where: { ...recent, revokedAt: null } }),
        1,
        "a recent mark stays",
      );
      assert.equal(await db.refreshToken.count({ where: { ...recent, revokedAt: null } }), 1);
      assert.equal(await db.authorizationCode.count({ where: { ...recent, usedAt: null } }), 1);
    });

    test("the purge's conditions have indexes", async () => {
      const wanted = [
        "access_tokens_expiresAt_idx",
        "authorization_codes_expiresAt_idx",
        "consent_requests_expiresAt_idx",
        "refresh_tokens_revokedAt_idx",
        "refresh_tokens_usedAt_idx",
        "refresh_tokens_issuedAt_idx",
        "revoked_grants_revokedAt_idx",
      ];
      const rows =
        backend === "sqlite"
          ? await db.$queryRawUnsafe<{ name: string }[]>(
              `SELECT name FROM sqlite_master WHERE type = 'index'`,
            )
          : await db.$queryRawUnsafe<{ name: string }[]>(`SELECT indexname AS name FROM pg_indexes`);
      const names = new Set(rows.map((row) => row.name));
      for (const name of wanted) assert.ok(names.has(name), `index ${name}`);
    });
  });
}
