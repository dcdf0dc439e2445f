import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Database } from "@/db/client.ts";
import { purgeAppState } from "@/lib/housekeeping/index.ts";
import { ThrottleStore, throttleKeys } from "@/lib/security/throttle.ts";
import {
  BROWSER_SESSION_SECONDS,
  PasswordChanged,
  REMEMBER_ME_SECONDS,
  SessionStore,
  sessionIdHash,
} from "@/lib/session/store.ts";
import { UserStore } from "@/lib/users/store.ts";
import { migratedDatabase } from "@/tests/support/migrated-database.ts";
import { BACKENDS } from "@/tests/support/server.ts";

for (const backend of BACKENDS) {
  describe(`server-side sessions of the consent app (${backend})`, () => {
    const database = migratedDatabase(backend);
    let db: Database;
    let sessions: SessionStore;
    let users: UserStore;

    before(async () => {
      db = database.db;
      sessions = new SessionStore(db);
      users = new UserStore(db);
    });

    const newUser = (tag: string) =>
      users.create({
        email: `${tag}-${Math.random().toString(36).slice(2)}@example.com`,
        password: "a-password-1",
      });

    test("a session is found by its secret id only while it lives; the table keeps a hash", async () => {
      const ann = await newUser("ann");
      const now = new Date("2026-12-01T10:00:00Z");
      const { secretId, session } = await sessions.create(
        { userId: ann.id, persistent: false, userAgent: "Firefox", ipAddress: "203.0.113.9" },
        now,
      );
      assert.equal(session.userId, ann.id);
      assert.equal(session.expiresAt.getTime(), now.getTime() + BROWSER_SESSION_SECONDS * 1000);
      assert.deepEqual(session.amr, ["pwd"]);
      assert.match(session.sid, /^[A-Za-z0-9_-]{32}$/);

      const row = await db.session.findUniqueOrThrow({ where: { sid: session.sid } });
      assert.equal(row.id, sessionIdHash(secretId));
      assert.notEqual(row.id, secretId);

      const later = new Date(now.getTime() + 5 * 60_000);
      const found = await sessions.findActive(secretId, later);
      assert.equal(found?.sid, session.sid);
      assert.equal(found?.lastSeenAt.getTime(), later.getTime(), "lastSeenAt moves on");
      assert.equal(await sessions.findActive("not-a-session-id-of-any-kind-at-all", later), null);
      const expired = new Date(now.getTime() + BROWSER_SESSION_SECONDS * 1000);
      assert.equal(await sessions.findActive(secretId, expired), null);
    });

    test("signing out deletes the record: the same secret id finds nothing afterwards", async () => {
      const ann = await newUser("ann");
      const { secretId } = await sessions.create({ userId: ann.id, persistent: true });
      assert.ok(await sessions.findActive(secretId));
      await sessions.delete(secretId);
      assert.equal(await sessions.findActive(secretId), null);
    });

    test("a person's sessions: listed, ended one by one, all but one, or all; never another's", async () => {
      const ann = await newUser("ann");
      const bob = await newUser("bob");
      const a1 = await sessions.create({ userId: ann.id, persistent: true });
      const a2 = await sessions.create({ userId: ann.id, persistent: false });
      const a3 = await sessions.create({ userId: ann.id, persistent: false });
      const b1 = await sessions.create({ userId: bob.id, persistent: false });
      assert.equal(
        a1.session.expiresAt.getTime() - a1.session.createdAt.getTime(),
        REMEMBER_ME_SECONDS * 1000,
      );

      assert.deepEqual(
        (await sessions.list(ann.id)).map((s) => s.sid).sort(),
        [a1.session.sid, a2.session.sid, a3.session.sid].sort(),
      );
      assert.equal(await sessions.end(ann.id, b1.session.sid), false, "not Ann's session");
      assert.ok(await sessions.findActive(b1.secretId));
      assert.equal(await sessions.end(ann.id, a3.session.sid), true);
      assert.equal(await sessions.findActive(a3.secretId), null);

      assert.equal(await sessions.endOthers(ann.id, a1.session.sid), 1);
      assert.ok(await sessions.findActive(a1.secretId));
      assert.equal(await sessions.findActive(a2.secretId), null);

      assert.equal(await sessions.endAll(ann.id), 1);
      assert.deepEqual(await sessions.list(ann.id), []);
      assert.ok(await sessions.findActive(b1.secretId), "Bob is still signed in");
    });

    test("deleting the person deletes their sessions", async () => {
      const ann = await newUser("ann");
      const { secretId } = await sessions.create({ userId: ann.id, persistent: true });
      await users.delete(ann.email);
      assert.equal(await sessions.findActive(secretId), null);
      assert.equal(await db.session.count({ where: { userId: ann.id } }), 0);
    });

    test("housekeeping deletes expired sessions and forgotten sign-in throttles, nothing live", async () => {
      const ann = await newUser("ann");
      const now = new Date();
      const old = await sessions.create(
        { userId: ann.id, persistent: false },
        new Date(now.getTime() - BROWSER_SESSION_SECONDS * 1000 - 1000),
      );
      const live = await sessions.create({ userId: ann.id, persistent: false }, now);

      const throttles = new ThrottleStore(db);
      const staleKeys = throttleKeys("stale@example.com", "198.51.100.1");
      const freshKeys = throttleKeys("fresh@example.com", "198.51.100.2");
      await throttles.reserve(staleKeys, new Date(now.getTime() - 2 * 3_600_000));
      await throttles.reserve(freshKeys, now);
      const lockedKey = throttleKeys("locked@example.com", "198.51.100.3").filter((k) => k.scope === "pair");
      await throttles.reserve(lockedKey, new Date(now.getTime() - 2 * 3_600_000));
      await db.loginThrottle.update({
        where: { key: lockedKey[0]!.key },
        data: { lockedUntil: new Date(now.getTime() + 60_000) },
      });

      const removed = await purgeAppState(db, now);
      assert.ok(removed.sessions! >= 1);
      assert.equal(await sessions.findActive(old.secretId, now), null);
      assert.equal(await db.session.count({ where: { sid: old.session.sid } }), 0);
      assert.ok(await sessions.findActive(live.secretId, now));

      const keys = (await db.loginThrottle.findMany({ select: { key: true } })).map((row) => row.key);
      for (const { key } of staleKeys) assert.ok(!keys.includes(key), `${key} purged`);
      for (const { key } of freshKeys) assert.ok(keys.includes(key), `${key} kept`);
      assert.ok(keys.includes(lockedKey[0]!.key), "a lock in force is kept");
    });

    test("housekeeping deletes a backlog in statements of at most its batch, and all of it", async () => {
      // One statement over every expired row held SQLite's write lock and the process's event loop
      // for all of them at once (250,000 rows: seconds, every ten minutes).
      const kit = await newUser("kit");
      const now = new Date();
      const past = new Date(now.getTime() - 3 * 3_600_000);
      const rows = 7;
      const tag = Math.random().toString(36).slice(2);
      await db.session.createMany({
        data: Array.from({ length: rows }, (_, i) => ({
          id: `batch-${tag}-${i}`,
          sid: `batch-${tag}-${i}`,
          userId: kit.id,
          authTime: past,
          lastSeenAt: past,
          expiresAt: new Date(past.getTime() + i),
        })),
      });
      await db.accountToken.createMany({
        data: Array.from({ length: rows }, (_, i) => ({
          id: `batch-${tag}-${i}`,
          userId: kit.id,
          purpose: "verify-email",
          email: kit.email,
          secretHash: `batch-${tag}-${i}`,
          expiresAt: new Date(past.getTime() + i),
        })),
      });
      await db.loginThrottle.createMany({
        data: Array.from({ length: rows }, (_, i) => ({
          key: `address:batch-${tag}-${i}`,
          failures: 1,
          lastFailedAt: past,
        })),
      });
      const deletes: Record<string, number[]> = { session: [], accountToken: [], loginThrottle: [] };
      const counted = new Proxy(db, {
        get(target, property) {
          const model: unknown = Reflect.get(target, property);
          if (typeof property !== "string" || !(property in deletes)) return model;
          return new Proxy(model as object, {
            get(table, name) {
              const value: unknown = Reflect.get(table, name);
              if (name !== "deleteMany" || typeof value !== "function") {
                return typeof value === "function" ? value.bind(table) : value;
              }
              return async (args: unknown) => {
                const result = (await value.call(table, args)) as { count: number };
                deletes[property]!.push(result.count);
                return result;
              };
            },
          });
        },
      });
      const removed = await purgeAppState(counted, now, 3);
      for (const [model, counts] of Object.entries(deletes)) {
        assert.ok(counts.length >= Math.ceil(rows / 3), `${model}: ${counts.join(", ")}`);
        assert.ok(
          counts.every((count) => count <= 3),
          `${model}: no statement deletes more than a batch (${counts.join(", ")})`,
        );
      }
      assert.ok(
        removed.sessions! >= rows && removed.accountTokens! >= rows && removed.loginThrottles! >= rows,
      );
      assert.equal(await db.session.count({ where: { id: { startsWith: `batch-${tag}-` } } }), 0);
      assert.equal(await db.accountToken.count({ where: { id: { startsWith: `batch-${tag}-` } } }), 0);
      assert.equal(
        await db.loginThrottle.count({ where: { key: { startsWith: `address:batch-${tag}-` } } }),
        0,
      );
    });

    test("a sign-in is stored only while the account has the password it checked; else nothing", async () => {
      const kit = await newUser("kit");
      const checked = (await users.findCredentials(kit.email))?.passwordHash as string;
      const { session } = await sessions.create({ userId: kit.id, persistent: false, passwordHash: checked });
      assert.equal(session.userId, kit.id);
      // The password changes between a sign-in's check and its session's write.
      await users.setPassword(kit.email, "a-new-password-2");
      await assert.rejects(
        sessions.create({ userId: kit.id, persistent: false, passwordHash: checked }),
        PasswordChanged,
      );
      await assert.rejects(
        sessions.signIn(undefined, { userId: kit.id, persistent: true, passwordHash: checked }),
        PasswordChanged,
      );
      assert.deepEqual(
        (await sessions.list(kit.id)).map((one) => one.sid),
        [session.sid],
        "nothing was stored",
      );
      const now = (await users.findCredentials(kit.email))?.passwordHash as string;
      assert.notEqual(now, checked);
      await sessions.create({ userId: kit.id, persistent: false, passwordHash: now });
      assert.equal((await sessions.list(kit.id)).length, 2);
    });
  });
}
