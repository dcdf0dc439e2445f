import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database, rawQueries, sqlitePath } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import type { RawQueries } from "@/db/raw.ts";
import {
  AUTHORIZATION_CODE_ROW,
  AUTHORIZATION_GRANT_ROW,
  CONSENT_REQUEST_ROW,
  DELETED_SUBJECT_ROW,
} from "@/db/rows.ts";
import { REMEMBERED_GRANT_ROW, SESSION_ROW, USER_ROW } from "@/lib/db/rows.ts";
import { PUBLIC_FIELDS } from "@/lib/users/store.ts";
import { BACKENDS, freshDatabase } from "@/tests/support/server.ts";

/** db/raw.ts must read and write exactly the rows Prisma does, on both backends. */
for (const backend of BACKENDS) {
  describe(`raw prepared statements match Prisma (${backend})`, () => {
    let db: Database;
    let raw: RawQueries;
    let url: string;
    let drop: () => Promise<void>;

    before(async () => {
      const database = await freshDatabase(backend);
      url = database.url;
      drop = database.drop;
      await migrate(url);
      db = createDatabase(url);
      const queries = rawQueries(db);
      assert.ok(queries, "createDatabase attaches the raw layer");
      raw = queries;
    });
    after(async () => {
      await db.$disconnect();
      await drop();
    });

    test("a client Prisma wrote reads the same through the raw layer", async () => {
      const created = await db.oAuth2Client.create({
        data: {
          id: "raw-client",
          name: "Raw — ünïcode",
          secretHash: "$2b$10$abcdefghijklmnopqrstuv",
          redirectUris: JSON.stringify(["https://a.example/cb"]),
          grantTypes: JSON.stringify(["client_credentials"]),
          responseTypes: "[]",
          scope: "read write",
          contacts: "[]",
          public: false,
        },
      });
      assert.deepEqual(await raw.clientById("raw-client"), created);
      const pub = await db.oAuth2Client.create({ data: { id: "raw-public", public: true } });
      assert.deepEqual(await raw.clientById("raw-public"), pub);
      assert.equal((await raw.clientById("raw-public"))?.public, true);
      assert.equal(await raw.clientById("missing"), null);
    });

    test("the flow's rows read by key are the rows Prisma reads (every column, nulls, dates, ints)", async () => {
      const now = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678));
      const full = await db.consentRequest.create({
        data: {
          id: "raw-consent",
          clientId: "raw-client",
          requestedScopes: "openid offline",
          redirectUrl: "https://issuer.example/oauth2/auth?consent=raw-consent",
          authRequest: "{}",
          verifierHash: "v",
          bindingHash: "b",
          expiresAt: now,
          subject: "person — ü",
          grantScopes: "openid",
          login: "{}",
          loginAcceptedAt: now,
          loginRememberFor: 3600,
          decidedAt: now,
        },
      });
      assert.deepEqual(await raw.rowByKey(CONSENT_REQUEST_ROW, "raw-consent"), full);
      const sparse = await db.consentRequest.create({
        data: {
          id: "raw-consent-2",
          clientId: "c",
          requestedScopes: "",
          redirectUrl: "https://issuer.example/",
          authRequest: "{}",
          verifierHash: "v",
          bindingHash: "b",
          expiresAt: now,
        },
      });
      assert.deepEqual(await raw.rowByKey(CONSENT_REQUEST_ROW, "raw-consent-2"), sparse);
      assert.equal(await raw.rowByKey(CONSENT_REQUEST_ROW, "missing"), null);

      const code = await db.authorizationCode.create({
        data: {
          hash: "raw-code",
          grantId: "g",
          clientId: "c",
          subject: "s",
          scopes: "openid",
          redirectUri: "https://a.example/cb",
          codeChallenge: "x",
          challengeMethod: "S256",
          authTime: now,
          expiresAt: now,
        },
      });
      assert.deepEqual(await raw.rowByKey(AUTHORIZATION_CODE_ROW, "raw-code"), code);
      const grant = await db.authorizationGrant.create({
        data: { grantId: "raw-grant", clientId: "c", subject: "s", scopes: "openid", authTime: now },
      });
      assert.deepEqual(await raw.rowByKey(AUTHORIZATION_GRANT_ROW, "raw-grant"), grant);
      const deleted = await db.deletedSubject.create({ data: { subject: "gone" } });
      assert.deepEqual(await raw.rowByKey(DELETED_SUBJECT_ROW, "gone"), deleted);
      assert.equal(await raw.rowByKey(DELETED_SUBJECT_ROW, "here"), null);
    });

    test("the app's rows read by key (one column or two) are the rows Prisma reads", async () => {
      const now = new Date(Date.UTC(2026, 11, 6, 12, 0, 0, 789));
      await db.user.create({
        data: { id: "raw-user", email: "raw@example.com", name: "Rå — ü", passwordHash: "$argon2id$x" },
      });
      const user = await db.user.findUnique({ where: { id: "raw-user" }, select: PUBLIC_FIELDS });
      const read = await raw.rowByKey(USER_ROW, "raw-user");
      assert.deepEqual(read, user);
      assert.equal("passwordHash" in (read ?? {}), false, "never the password hash");
      const verified = await db.user.create({
        data: { id: "raw-user-2", email: "raw2@example.com", passwordHash: "h", emailVerifiedAt: now },
        select: PUBLIC_FIELDS,
      });
      assert.deepEqual(await raw.rowByKey(USER_ROW, "raw-user-2"), verified);

      const session = await db.session.create({
        data: {
          id: "raw-session-hash",
          sid: "raw-sid",
          userId: "raw-user",
          authTime: now,
          lastSeenAt: now,
          expiresAt: now,
          persistent: true,
          amr: '["pwd"]',
        },
      });
      assert.deepEqual(await raw.rowByKey(SESSION_ROW, "raw-session-hash"), session);
      assert.equal((await raw.rowByKey(SESSION_ROW, "raw-session-hash"))?.persistent, true);
      assert.equal(await raw.rowByKey(SESSION_ROW, "missing"), null);

      const grant = await db.rememberedGrant.create({
        data: { id: "raw-remembered", userId: "raw-user", clientId: "raw-app", scopes: '["openid"]' },
      });
      await db.rememberedGrant.create({
        data: { id: "raw-remembered-2", userId: "raw-user-2", clientId: "raw-app", scopes: "[]" },
      });
      assert.deepEqual(await raw.rowByKey(REMEMBERED_GRANT_ROW, ["raw-user", "raw-app"]), grant);
      assert.equal(await raw.rowByKey(REMEMBERED_GRANT_ROW, ["raw-user", "other-app"]), null);
      await assert.rejects(raw.rowByKey(REMEMBERED_GRANT_ROW, "raw-user"), /wrong number of key values/);
    });

    test("an access token the raw layer wrote reads the same through Prisma, and back", async () => {
      const row = {
        hash: "raw-hash-1",
        grantId: "g1",
        clientId: "raw-client",
        subject: "s",
        scopes: "read write",
        extra: JSON.stringify({ a: 1 }),
        issuedAt: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
        expiresAt: new Date(Date.UTC(2030, 0, 2, 4, 4, 5, 123)),
        revokedAt: null,
      };
      await raw.insertAccessToken(row);
      assert.deepEqual(await db.accessToken.findUnique({ where: { hash: row.hash } }), row);
      assert.deepEqual(await raw.accessTokenByHash(row.hash), row);

      // Prisma's writes (and its filters on dates) see the raw row as its own.
      const revokedAt = new Date(Date.UTC(2030, 0, 2, 3, 30, 0, 7));
      const { count } = await db.accessToken.updateMany({
        where: { hash: row.hash, revokedAt: null, expiresAt: { gt: new Date(Date.UTC(2030, 0, 2, 4)) } },
        data: { revokedAt },
      });
      assert.equal(count, 1);
      assert.deepEqual(await raw.accessTokenByHash(row.hash), { ...row, revokedAt });

      const viaPrisma = await db.accessToken.create({
        data: { ...row, hash: "raw-hash-2", extra: "{}", revokedAt: null },
      });
      assert.deepEqual(await raw.accessTokenByHash("raw-hash-2"), viaPrisma);
      assert.equal(await raw.accessTokenByHash("missing"), null);
    });

    // Only SQLite has a file encoding and a process-wide write lock to check.
    if (backend === "sqlite")
      test("the stored encoding is Prisma's (SQLite: ISO text with +00:00, booleans 0/1)", async () => {
        const { default: Sqlite } = await import("better-sqlite3");
        const file = new Sqlite(sqlitePath(url), { readonly: true });
        try {
          const rows = file
            .prepare(`SELECT "hash", "issuedAt", "revokedAt" FROM "access_tokens" ORDER BY "hash"`)
            .all() as { hash: string; issuedAt: unknown; revokedAt: unknown }[];
          assert.deepEqual(
            rows.map((r) => [r.hash, typeof r.issuedAt, typeof r.revokedAt]),
            [
              ["raw-hash-1", "string", "string"],
              ["raw-hash-2", "string", "object"],
            ],
          );
          assert.equal(rows[0]?.issuedAt, "2030-01-02T03:04:05.000+00:00");
          assert.equal(rows[0]?.issuedAt, rows[1]?.issuedAt);
          const flags = file.prepare(`SELECT "public" FROM "oauth2_clients" ORDER BY "id"`).all();
          assert.deepEqual(flags, [{ public: 0 }, { public: 1 }]);
        } finally {
          file.close();
        }
      });

    test("inserts made together are all stored, each resolving when committed", async () => {
      const rows = Array.from({ length: 50 }, (_, i) => ({
        hash: `batch-${i}`,
        grantId: `g${i}`,
        clientId: "raw-client",
        subject: "s",
        scopes: "",
        extra: "{}",
        issuedAt: new Date(Date.UTC(2030, 0, 1)),
        expiresAt: new Date(Date.UTC(2030, 0, 2)),
        revokedAt: null,
      }));
      await Promise.all(rows.map((row) => raw.insertAccessToken(row)));
      assert.equal(await db.accessToken.count({ where: { hash: { startsWith: "batch-" } } }), 50);
      // A duplicate fails alone; the rows inserted with it are stored.
      const results = await Promise.allSettled([
        raw.insertAccessToken({ ...(rows[0] as (typeof rows)[0]) }),
        raw.insertAccessToken({ ...(rows[0] as (typeof rows)[0]), hash: "batch-new" }),
      ]);
      assert.equal(results[0]?.status, "rejected");
      assert.equal(results[1]?.status, "fulfilled");
      assert.ok(await raw.accessTokenByHash("batch-new"));
    });

    // Only SQLite has a file encoding and a process-wide write lock to check.
    if (backend === "sqlite")
      test("an insert neither joins an open Prisma transaction nor blocks the process on another writer", async () => {
        const row = {
          hash: "outside-tx",
          grantId: "g",
          clientId: "raw-client",
          subject: "s",
          scopes: "",
          extra: "{}",
          issuedAt: new Date(Date.UTC(2030, 0, 1)),
          expiresAt: new Date(Date.UTC(2030, 0, 2)),
          revokedAt: null,
        };
        let inserted: Promise<void> | undefined;
        await assert.rejects(
          db.$transaction(async (tx) => {
            await tx.accessToken.create({ data: { ...row, hash: "inside-tx" } });
            inserted = raw.insertAccessToken(row);
            await new Promise((resolve) => setTimeout(resolve, 20));
            throw new Error("roll back");
          }),
          /roll back/,
        );
        await inserted;
        assert.ok(await raw.accessTokenByHash("outside-tx"), "the raw row survives the rollback");
        assert.equal(await raw.accessTokenByHash("inside-tx"), null);

        // Another connection (another worker) holds the write lock for 100 ms.
        const { default: Sqlite } = await import("better-sqlite3");
        const other = new Sqlite(sqlitePath(url));
        try {
          other.prepare("BEGIN IMMEDIATE").run();
          let ticks = 0;
          const timer = setInterval(() => ticks++, 5);
          const waiting = raw.insertAccessToken({ ...row, hash: "after-lock" });
          setTimeout(() => other.prepare("COMMIT").run(), 100);
          // An insert asked on a later turn, while the first waits, is written with it.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const joining = raw.insertAccessToken({ ...row, hash: "after-lock-2" });
          await Promise.all([waiting, joining]);
          clearInterval(timer);
          // The lock is released by a timer of this same process: had the insert slept the process
          // (SQLite's busy wait), no timer could have run before it returned. Ordering, not timing:
          // the 5 ms interval fires before the 100 ms release, however slow the machine.
          assert.ok(ticks >= 1, `the event loop kept turning while the insert waited (${ticks} ticks)`);
          assert.ok(await raw.accessTokenByHash("after-lock"));
          assert.ok(await raw.accessTokenByHash("after-lock-2"));
        } finally {
          other.close();
        }
      });

    const token = (hash: string, clientId = "raw-client") => ({
      hash,
      grantId: `g-${hash}`,
      clientId,
      subject: "s",
      scopes: "",
      extra: "{}",
      issuedAt: new Date(Date.UTC(2030, 0, 1)),
      expiresAt: new Date(Date.UTC(2030, 0, 2)),
      revokedAt: null,
    });

    test("token lookups asked together each get their own row, with the revisions", async () => {
      await Promise.all([raw.insertAccessToken(token("look-a")), raw.insertAccessToken(token("look-b"))]);
      await db.clientRevision.upsert({
        where: { id: 1 },
        create: { id: 1, revision: 5 },
        update: { revision: 5 },
      });
      const found = await Promise.all(
        ["look-a", "look-b", "look-missing", "look-a"].map((hash) => raw.accessTokenWithRevisions(hash)),
      );
      assert.deepEqual(
        found.map((f) => f.token?.hash ?? null),
        ["look-a", "look-b", null, "look-a"],
      );
      for (const f of found) assert.equal(f.clientRevision, 5);
      // A lookup asked after a committed write sees it.
      await db.accessToken.update({ where: { hash: "look-b" }, data: { revokedAt: new Date() } });
      await db.clientRevision.update({ where: { id: 1 }, data: { revision: 6 } });
      const [a, b] = await Promise.all([
        raw.accessTokenWithRevisions("look-a"),
        raw.accessTokenWithRevisions("look-b"),
      ]);
      assert.equal(a.token?.revokedAt, null);
      assert.ok(b.token?.revokedAt instanceof Date);
      assert.equal(a.clientRevision, 6);
    });

    test("revision reads asked together answer each its own table; a read after a write sees it", async () => {
      await db.policyRevision.upsert({
        where: { id: 1 },
        create: { id: 1, revision: 3 },
        update: { revision: 3 },
      });
      await db.clientRevision.upsert({
        where: { id: 1 },
        create: { id: 1, revision: 8 },
        update: { revision: 8 },
      });
      assert.deepEqual(
        await Promise.all([raw.policyRevision(1), raw.clientRevision(), raw.policyRevision(1)]),
        [3, 8, 3],
      );
      assert.equal(await raw.policyRevision(2), 0);
      await db.clientRevision.update({ where: { id: 1 }, data: { revision: 9 } });
      assert.equal(await raw.clientRevision(), 9);
      await db.policyRevision.delete({ where: { id: 1 } });
      await db.clientRevision.delete({ where: { id: 1 } });
    });

    // Only PostgreSQL has the conditional insert (one statement where SQLite needs a read and a write).
    if (backend === "postgresql")
      test("inserts at a client revision: written together when it holds, nothing when it moved", async () => {
        const insert = raw.insertAccessTokenAtClientRevision?.bind(raw);
        assert.ok(insert, "PostgreSQL has the conditional insert");
        assert.equal(await raw.clientRevision(), 0);
        assert.deepEqual(
          await Promise.all([insert(token("at-1"), 0), insert(token("at-2"), 0), insert(token("moved"), 4)]),
          [true, true, false],
        );
        assert.ok(await raw.accessTokenByHash("at-1"));
        assert.ok(await raw.accessTokenByHash("at-2"));
        assert.equal(await raw.accessTokenByHash("moved"), null);
        // A bad row (a hash that exists) fails alone; the row asked with it is written.
        const results = await Promise.allSettled([insert(token("at-1"), 0), insert(token("at-3"), 0)]);
        assert.equal(results[0]?.status, "rejected");
        assert.deepEqual(results[1], { status: "fulfilled", value: true });
        assert.ok(await raw.accessTokenByHash("at-3"));
      });

    test("the policy revision follows Prisma's writes", async () => {
      assert.equal(await raw.policyRevision(1), 0);
      await db.policyRevision.create({ data: { id: 1, revision: 1 } });
      assert.equal(await raw.policyRevision(1), 1);
      await db.policyRevision.update({ where: { id: 1 }, data: { revision: { increment: 1 } } });
      assert.equal(await raw.policyRevision(1), 2);
    });

    test("raw reads see Prisma's committed writes at once, from another connection too", async () => {
      const other = createDatabase(url);
      try {
        const otherRaw = rawQueries(other) as RawQueries;
        await db.oAuth2Client.update({ where: { id: "raw-client" }, data: { secretHash: "rotated" } });
        assert.equal((await otherRaw.clientById("raw-client"))?.secretHash, "rotated");
        await other.oAuth2Client.delete({ where: { id: "raw-client" } });
        assert.equal(await raw.clientById("raw-client"), null);
      } finally {
        await other.$disconnect();
      }
    });
  });
}
