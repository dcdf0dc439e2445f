import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { loadConfig } from "@/server/config/config.ts";
import { purgeExpired, schedulePurge } from "@/server/housekeeping.ts";
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
          // Those used 40 days ago were issued then (past the default 30-day lifespan and a day).
          issuedAt: new Date(i % 3 === 0 ? now - 40 * DAY : now),
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

    test("each purge looks at a bounded number of old grants, the next one going on from there", async () => {
      const now = Date.now();
      await db.authorizationGrant.deleteMany({});
      // Seven grants older than a month: six of apps still refreshing, the last one with nothing left.
      const grantIds = Array.from({ length: 7 }, (_, i) => `walk-${i}`);
      await db.authorizationGrant.createMany({
        data: grantIds.map((grantId) => ({
          grantId,
          clientId: "c",
          subject: "s",
          scopes: "offline",
          authTime: new Date(now - 40 * DAY),
          createdAt: new Date(now - 40 * DAY),
        })),
      });
      await db.refreshToken.createMany({
        data: grantIds.slice(0, 6).map((grantId) => ({
          hash: `walk-refresh-${grantId}`,
          grantId,
          clientId: "c",
          subject: "s",
          scopes: "offline",
          authTime: new Date(now - 40 * DAY),
          issuedAt: new Date(now),
        })),
      });
      let reads = 0;
      const grants = new Proxy(db.authorizationGrant, {
        get(target, property) {
          if (property === "findMany")
            return (args: Parameters<Database["authorizationGrant"]["findMany"]>[0]) => {
              reads++;
              return target.findMany(args);
            };
          const value: unknown = Reflect.get(target, property);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const counted = new Proxy(db, {
        get: (target, property) =>
          property === "authorizationGrant" ? grants : Reflect.get(target, property),
      });
      const config = loadConfig({ SYSTEM_SECRET: "test-system-secret-0123456789" });
      const left = async () =>
        (await db.authorizationGrant.findMany({ select: { grantId: true } }))
          .map((row) => row.grantId)
          .sort();

      // Batches of two, two batches a purge: the first looks at walk-0 … walk-3 only.
      assert.equal((await purgeExpired(counted, config, now, 2, 2)).grants, 0);
      assert.equal(reads, 2);
      assert.deepEqual(await left(), grantIds);
      reads = 0;
      assert.equal((await purgeExpired(counted, config, now, 2, 2)).grants, 1);
      assert.equal(reads, 2);
      assert.deepEqual(await left(), grantIds.slice(0, 6));
      // That walk ended: the next starts again from the first grant.
      reads = 0;
      await purgeExpired(counted, config, now, 2, 2);
      assert.equal(reads, 2);
      assert.deepEqual(await left(), grantIds.slice(0, 6));
      await db.refreshToken.deleteMany({ where: { hash: { startsWith: "walk-refresh-" } } });
    });

    test("a purge that outlasts its interval is not joined by another run", async () => {
      // The first run's first read waits for the test, so the run outlasts many ticks of a 1 ms
      // interval; a second run stops at its first read (nothing of it runs on beside later tests).
      let started = 0;
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const consentRequests = new Proxy(db.consentRequest, {
        get(target, property) {
          if (property === "findMany")
            return async (args: Parameters<Database["consentRequest"]["findMany"]>[0]) => {
              started++;
              if (started > 1) throw new Error("the next run");
              await gate;
              return target.findMany(args);
            };
          const value: unknown = Reflect.get(target, property);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const slow = new Proxy(db, {
        get: (target, property) =>
          property === "consentRequest" ? consentRequests : Reflect.get(target, property),
      });
      const lines: string[] = [];
      const note = (message: string) => void lines.push(message);
      const log = { error: note, warn: note, info: note, debug: note };
      const config = loadConfig({ SYSTEM_SECRET: "test-system-secret-0123456789" });
      const timer = schedulePurge(slow, config, log, 1);
      try {
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(started, 1, "one run at a time");
        release();
        // The first run goes on to its end; only then does a tick start the next.
        while (started < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      } finally {
        clearInterval(timer);
        release();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Only the later runs' refusals: the first run ended without a failure.
      assert.ok(lines.length > 0);
      assert.deepEqual(new Set(lines), new Set(["purging expired flow state failed"]));
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
