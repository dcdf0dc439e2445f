import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createDatabase, type Database, rawQueries, sqlitePath } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { postgresSettings, withPostgresConnection } from "@/db/postgres-server.ts";
import { changesOneRow, insertRow, type RawQueries, type RowShape, type Write } from "@/db/raw.ts";
import { PostgresRawQueries } from "@/db/raw-postgres.ts";
import {
  ACCESS_TOKEN_ROW,
  AUTHORIZATION_CODE_ROW,
  AUTHORIZATION_GRANT_ROW,
  CONSENT_REQUEST_ROW,
  REFRESH_TOKEN_ROW,
} from "@/db/rows.ts";
import { REMEMBERED_GRANT_ROW, SESSION_ROW, USER_ROW } from "@/lib/db/rows.ts";
import { PUBLIC_FIELDS } from "@/lib/users/store.ts";
import { ConsentRequests } from "@/server/consent/store.ts";
import { SubjectGrants } from "@/server/subjects/store.ts";
import { AccessTokens } from "@/server/tokens/access-tokens.ts";
import { AuthorizationCodes } from "@/server/tokens/authorization-codes.ts";
import { AuthorizationGrants } from "@/server/tokens/grants.ts";
import { RefreshTokens } from "@/server/tokens/refresh-tokens.ts";
import { notRevoked } from "@/server/tokens/revoked-grants.ts";
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
        audience: "https://api.example/a https://api.example/b",
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
        data: { ...row, hash: "raw-hash-2", extra: "{}", revokedAt: null, audience: null },
      });
      assert.deepEqual(await raw.accessTokenByHash("raw-hash-2"), viaPrisma);
      assert.equal(viaPrisma.audience, null);
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
        audience: i % 2 === 0 ? null : `https://api.example/${i}`,
      }));
      await Promise.all(rows.map((row) => raw.insertAccessToken(row)));
      assert.equal(await db.accessToken.count({ where: { hash: { startsWith: "batch-" } } }), 50);
      assert.deepEqual(await raw.accessTokenByHash("batch-7"), rows[7]);
      assert.deepEqual(await raw.accessTokenByHash("batch-8"), rows[8]);
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
          audience: null,
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

    const token = (hash: string, clientId = "raw-client", audience: string | null = null) => ({
      hash,
      grantId: `g-${hash}`,
      clientId,
      subject: "s",
      scopes: "",
      extra: "{}",
      issuedAt: new Date(Date.UTC(2030, 0, 1)),
      expiresAt: new Date(Date.UTC(2030, 0, 2)),
      revokedAt: null,
      audience,
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
          await Promise.all([
            insert(token("at-1"), 0),
            insert(token("at-2", "raw-client", "https://api.example/a"), 0),
            insert(token("moved"), 4),
          ]),
          [true, true, false],
        );
        assert.deepEqual(await raw.accessTokenByHash("at-1"), token("at-1"));
        assert.deepEqual(
          await raw.accessTokenByHash("at-2"),
          token("at-2", "raw-client", "https://api.example/a"),
        );
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

/**
 * The sign-in flow's writes (db/raw.ts `transaction`): each stores the row
 * Prisma stores, all or nothing, and a request or code used twice at once is
 * used once. On both backends.
 */
for (const backend of BACKENDS) {
  describe(`the flow's writes as prepared statements (${backend})`, () => {
    let db: Database;
    let raw: RawQueries;
    let url: string;
    let drop: () => Promise<void>;
    let stores: ReturnType<typeof storesOn>;

    const storesOn = (on: Database) => {
      const key = Buffer.alloc(32, 7);
      return {
        consent: new ConsentRequests(on, "https://issuer.example/oauth2/auth", 600_000, {
          verifier: key,
          hash: key,
        }),
        codes: new AuthorizationCodes(on, key, 600_000),
        grants: new AuthorizationGrants(on),
        accessTokens: new AccessTokens(on, key, 3_600_000),
        refreshTokens: new RefreshTokens(on, key, 0),
        subjects: new SubjectGrants(on, 0),
      };
    };

    /**
     * The row as the database holds it, without its key: SQLite's text and
     * integers as in the file, PostgreSQL's values as row_to_json gives them.
     */
    const keyColumn = <Row>(shape: RowShape<Row>): string => {
      assert.equal(typeof shape.key, "string", "the flow's rows have one key column");
      return shape.key as string;
    };

    const stored = async <Row>(shape: RowShape<Row>, key: string): Promise<Record<string, unknown>> => {
      const column = keyColumn(shape);
      let row: Record<string, unknown> | undefined;
      if (backend === "sqlite") {
        const { default: Sqlite } = await import("better-sqlite3");
        const file = new Sqlite(sqlitePath(url), { readonly: true });
        try {
          row = file.prepare(`SELECT * FROM "${shape.table}" WHERE "${column}" = ?`).get(key) as
            | Record<string, unknown>
            | undefined;
        } finally {
          file.close();
        }
      } else {
        const result = await withPostgresConnection(url, (client) =>
          client.query(`SELECT row_to_json(t) AS "row" FROM "${shape.table}" t WHERE "${column}" = $1`, [
            key,
          ]),
        );
        row = result.rows[0]?.row;
      }
      assert.ok(row, `${shape.table} has the row ${key}`);
      const { [column]: _, ...rest } = row;
      return rest;
    };

    /**
     * The raw layer's row, read through Prisma, is what Prisma stores for the
     * same values: a twin written by Prisma (another key) is held alike in
     * every column. Answers the row as Prisma reads it.
     */
    let twins = 0;
    const sameAsPrisma = async <Row>(
      shape: RowShape<Row>,
      key: string,
      find: (key: string) => Promise<Row | null>,
      create: (row: Row) => Promise<Row>,
    ): Promise<Row> => {
      const row = await find(key);
      assert.ok(row, `Prisma reads ${shape.table} ${key}`);
      assert.deepEqual(await raw.rowByKey(shape, key), row);
      const twin = `${key}-prisma-${++twins}`;
      await create({ ...row, [keyColumn(shape)]: twin });
      assert.deepEqual(await stored(shape, twin), await stored(shape, key));
      return row;
    };

    const consentRow = (id: string) =>
      sameAsPrisma(
        CONSENT_REQUEST_ROW,
        id,
        (key) => db.consentRequest.findUnique({ where: { id: key } }),
        (data) => db.consentRequest.create({ data }),
      );

    before(async () => {
      const database = await freshDatabase(backend);
      url = database.url;
      drop = database.drop;
      await migrate(url);
      db = createDatabase(url);
      raw = rawQueries(db);
      stores = storesOn(db);
      // Tokens are read only while their client exists.
      await db.oAuth2Client.create({
        data: { id: "flow-client" },
      });
    });
    after(async () => {
      await db.$disconnect();
      await drop();
    });

    const newRequest = (clientId = "flow-client") =>
      stores.consent.create({
        clientId,
        requestedScopes: ["openid", "offline"],
        parameters: [
          ["client_id", clientId],
          ["scope", "openid offline"],
        ],
      });

    test("a consent request's insert and each step's update store what Prisma stores", async () => {
      const { request } = await newRequest();
      const created = await consentRow(request.id);
      assert.equal(created.status, "pending");
      assert.equal(created.oidcContext, JSON.stringify(request.oidc));
      assert.deepEqual(await stores.consent.get(request.id), request);

      const authTime = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678));
      const signIn = { authTime, amr: ["pwd"], acr: "1", sid: "sid-1" };
      assert.equal(await stores.consent.acceptLogin(request.id, "person — ü", signIn, 3600), true);
      assert.equal(await stores.consent.acceptLogin(request.id, "someone else", signIn), false);
      // A write beside it refused (a login session the cap ends, ended meanwhile): nothing is verified,
      // and the refusal is answered so that the caller reads again and retries.
      const endedMeanwhile = changesOneRow(`DELETE FROM "login_sessions" WHERE "id" = $1`, ["gone"], "ended");
      assert.equal(
        await stores.consent.verifyLogin(request.id, { loginSessionId: "s", alongside: [endedMeanwhile] }),
        "ended",
      );
      assert.equal((await consentRow(request.id)).loginVerifiedAt, null);
      assert.equal(await stores.consent.verifyLogin(request.id), true);
      assert.equal(await stores.consent.verifyLogin(request.id), false);
      await stores.consent.setLoginSession(request.id, "login-session-1");
      const loggedIn = await consentRow(request.id);
      assert.equal(loggedIn.subject, "person — ü");
      assert.equal(loggedIn.loginRememberFor, 3600);
      assert.equal(loggedIn.loginSessionId, "login-session-1");
      assert.ok(loggedIn.loginAcceptedAt instanceof Date && loggedIn.loginVerifiedAt instanceof Date);
      assert.deepEqual(JSON.parse(loggedIn.login ?? ""), { ...signIn, authTime: authTime.toISOString() });

      // The consent step without a sign-in keeps the login step's.
      const decision = {
        subject: "person — ü",
        grantScopes: ["openid"],
        accessTokenExtra: { a: 1 },
        idTokenExtra: { name: "Ü" },
        grantAudience: ["https://api.example"],
      };
      assert.equal(await stores.consent.accept(request.id, decision), true);
      assert.equal(await stores.consent.accept(request.id, decision), false);
      assert.equal(await stores.consent.reject(request.id, "no"), false);
      const accepted = await consentRow(request.id);
      assert.equal(accepted.status, "accepted");
      assert.equal(accepted.login, loggedIn.login);
      assert.equal(accepted.grantAudience, "https://api.example");
      assert.ok(accepted.decidedAt instanceof Date);
      const decided = await stores.consent.get(request.id);
      assert.equal(decided?.signIn?.sid, "sid-1");
      assert.deepEqual(decided?.idTokenExtra, { name: "Ü" });

      assert.equal(await stores.consent.consume(request.id), true);
      assert.equal(await stores.consent.consume(request.id), false);
      assert.ok((await consentRow(request.id)).usedAt instanceof Date);

      const { request: other } = await newRequest();
      assert.equal(await stores.consent.consume(other.id), false, "an undecided request is not used");
      assert.equal(await stores.consent.reject(other.id, "said no", "login_required"), true);
      const rejected = await consentRow(other.id);
      assert.equal(rejected.status, "rejected");
      assert.equal(rejected.rejectReason, "said no");
      assert.equal(rejected.rejectError, "login_required");
      assert.equal(rejected.login, null);

      const { request: expired } = await newRequest();
      await db.consentRequest.update({
        where: { id: expired.id },
        data: { expiresAt: new Date(Date.now() - 1) },
      });
      assert.equal(
        await stores.consent.accept(expired.id, decision),
        false,
        "an expired request is not decided",
      );
    });

    test("a grant, a code and the tokens store what Prisma stores; a code and a refresh token are used once", async () => {
      const grantId = "flow-grant";
      const authTime = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678));
      const code = stores.codes.newCode({
        grantId,
        clientId: "flow-client",
        subject: "s",
        scopes: ["openid", "offline"],
        redirectUri: "https://a.example/cb",
        redirectUriGiven: true,
        codeChallenge: "challenge",
        challengeMethod: "S256",
        nonce: null,
        authTime,
        accessTokenExtra: { a: [1, 2] },
        idTokenExtra: {},
      });
      const access = stores.accessTokens.newToken({
        grantId,
        clientId: "flow-client",
        subject: "s",
        scopes: ["openid"],
      });
      const refresh = stores.refreshTokens.newToken({
        grantId,
        clientId: "flow-client",
        subject: "s",
        scopes: ["openid", "offline"],
        accessTokenExtra: {},
        idTokenExtra: { b: true },
        authTime,
      });
      const written = await raw.transaction([
        stores.grants.insert({
          grantId,
          clientId: "flow-client",
          subject: "s",
          scopes: ["openid"],
          signIn: { authTime, amr: ["pwd", "otp"] },
          claims: { email: "ü@example.com" },
          consentRequestId: "flow-consent",
        }),
        code.insert,
        access.insert,
        refresh.insert,
      ]);
      assert.equal(written, undefined);

      const grant = await sameAsPrisma(
        AUTHORIZATION_GRANT_ROW,
        grantId,
        (key) => db.authorizationGrant.findUnique({ where: { grantId: key } }),
        (data) => db.authorizationGrant.create({ data }),
      );
      assert.equal(grant.sid, null);
      assert.deepEqual(await stores.grants.find(grantId), {
        grantId,
        clientId: "flow-client",
        subject: "s",
        scopes: ["openid"],
        signIn: { authTime, amr: ["pwd", "otp"] },
        claims: { email: "ü@example.com" },
        audience: [],
        consentRequestId: "flow-consent",
        createdAt: grant.createdAt,
      });
      const codeHash = stores.codes.hash(code.code);
      const codeRow = await sameAsPrisma(
        AUTHORIZATION_CODE_ROW,
        codeHash,
        (key) => db.authorizationCode.findUnique({ where: { hash: key } }),
        (data) => db.authorizationCode.create({ data }),
      );
      assert.equal(codeRow.usedAt, null);
      assert.equal((await stores.codes.find(code.code))?.codeChallenge, "challenge");
      await sameAsPrisma(
        ACCESS_TOKEN_ROW,
        stores.accessTokens.hash(access.token),
        (key) => db.accessToken.findUnique({ where: { hash: key } }),
        (data) => db.accessToken.create({ data }),
      );
      assert.equal((await stores.accessTokens.findActive(access.token))?.subject, "s");
      const refreshHash = stores.refreshTokens.hash(refresh.token);
      await sameAsPrisma(
        REFRESH_TOKEN_ROW,
        refreshHash,
        (key) => db.refreshToken.findUnique({ where: { hash: key } }),
        (data) => db.refreshToken.create({ data }),
      );
      assert.deepEqual((await stores.refreshTokens.find(refresh.token))?.idTokenExtra, { b: true });

      assert.equal(await raw.transaction([stores.codes.use(codeHash)]), undefined);
      assert.equal(await raw.transaction([stores.codes.use(codeHash)]), "used");
      await sameAsPrisma(
        AUTHORIZATION_CODE_ROW,
        codeHash,
        (key) => db.authorizationCode.findUnique({ where: { hash: key } }),
        (data) => db.authorizationCode.create({ data }),
      );

      // A refresh token is used once, or again within the grace period (its first use kept).
      assert.equal(await raw.transaction([stores.refreshTokens.use(refreshHash, 0)]), undefined);
      const firstUse = (await db.refreshToken.findUnique({ where: { hash: refreshHash } }))?.usedAt;
      assert.ok(firstUse instanceof Date);
      assert.equal(await raw.transaction([stores.refreshTokens.use(refreshHash, 0)]), "used");
      assert.equal(await raw.transaction([stores.refreshTokens.use(refreshHash, 60_000)]), undefined);
      assert.deepEqual(
        (await db.refreshToken.findUnique({ where: { hash: refreshHash } }))?.usedAt,
        firstUse,
      );
      await db.refreshToken.update({
        where: { hash: refreshHash },
        data: { usedAt: new Date(Date.now() - 120_000) },
      });
      assert.equal(await raw.transaction([stores.refreshTokens.use(refreshHash, 60_000)]), "used");
      await db.refreshToken.update({
        where: { hash: refreshHash },
        data: { usedAt: null, revokedAt: new Date() },
      });
      assert.equal(await raw.transaction([stores.refreshTokens.use(refreshHash, 60_000)]), "used", "revoked");
    });

    test("a transaction is all or nothing: a refused condition or a failing statement writes nothing", async () => {
      const grant = (grantId: string) =>
        stores.grants.insert({
          grantId,
          clientId: "flow-client",
          subject: "gone",
          scopes: [],
          signIn: { authTime: new Date(), amr: [] },
          claims: {},
        });
      const { request } = await newRequest();
      assert.equal(await raw.transaction([grant("before-use"), stores.consent.use(request.id)]), "used");
      assert.equal(
        await stores.grants.find("before-use"),
        null,
        "the write before the refusal is rolled back",
      );

      await db.deletedSubject.create({ data: { subject: "gone" } });
      const code = stores.codes.newCode({
        grantId: "g-gone",
        clientId: "flow-client",
        subject: "gone",
        scopes: [],
        redirectUri: "",
        redirectUriGiven: false,
        codeChallenge: null,
        challengeMethod: null,
        nonce: null,
        authTime: new Date(),
        accessTokenExtra: {},
        idTokenExtra: {},
      });
      await raw.transaction([code.insert]);
      const hash = stores.codes.hash(code.code);
      assert.equal(
        await raw.transaction([
          stores.codes.use(hash),
          stores.subjects.notDeleted("gone"),
          grant("after-check"),
        ]),
        "deleted",
      );
      assert.equal((await stores.codes.find(code.code))?.usedAt, null, "the code's use is rolled back");
      assert.equal(await stores.grants.find("after-check"), null);
      assert.equal(await raw.transaction([stores.subjects.notDeleted("here")]), undefined);

      await assert.rejects(raw.transaction([grant("twice"), grant("twice")]));
      assert.equal(
        await stores.grants.find("twice"),
        null,
        "a failing statement rolls back the ones before it",
      );
      // The connection is usable after the failure, and a refusal names the condition that did not hold.
      assert.equal(
        await raw.transaction([
          grant("after-failure"),
          changesOneRow(
            `UPDATE "deleted_subjects" SET "subject" = $1 WHERE "subject" = $2`,
            ["x", "none"],
            "none",
          ),
        ]),
        "none",
      );
      assert.equal(await raw.transaction([grant("after-failure")]), undefined);
      assert.ok(await stores.grants.find("after-failure"));
    });

    test("a consent request or a code used four times at once is used once, from one process or two", async () => {
      const other = createDatabase(url);
      // Prisma ends the pool it shares with the raw layer on $disconnect only once it has connected.
      await other.$connect();
      const newCode = () =>
        stores.codes.newCode({
          grantId: "g-race",
          clientId: "flow-client",
          subject: "s",
          scopes: [],
          redirectUri: "",
          redirectUriGiven: false,
          codeChallenge: null,
          challengeMethod: null,
          nonce: null,
          authTime: new Date(),
          accessTokenExtra: {},
          idTokenExtra: {},
        });
      try {
        // Two processes: half the attempts go through a second client on the same database.
        for (const [name, processes] of [
          ["one process", [rawQueries(db)]],
          ["two processes", [rawQueries(db), rawQueries(other)]],
        ] as const) {
          const attempts = [0, 1, 2, 3].map((i) => processes[i % processes.length] as RawQueries);

          const { request } = await newRequest();
          const decision = { subject: "s", grantScopes: [], accessTokenExtra: {}, idTokenExtra: {} };
          assert.ok(await stores.consent.accept(request.id, decision));
          const grantIds = attempts.map((_, i) => `race-${request.id}-${i}`);
          const uses = await Promise.all(
            attempts.map((queries, i) =>
              queries.transaction([
                stores.consent.use(request.id),
                stores.grants.insert({
                  grantId: grantIds[i] as string,
                  clientId: "flow-client",
                  subject: "s",
                  scopes: [],
                  signIn: { authTime: new Date(), amr: [] },
                  claims: {},
                }),
              ]),
            ),
          );
          assert.deepEqual(uses.toSorted(), ["used", "used", "used", undefined], `${name}: one use wins`);
          const grants = await db.authorizationGrant.count({ where: { grantId: { in: grantIds } } });
          assert.equal(grants, 1, `${name}: only the winner's grant is stored`);

          const code = newCode();
          await raw.transaction([code.insert]);
          const hash = stores.codes.hash(code.code);
          const tokens = attempts.map(() =>
            stores.accessTokens.newToken({
              grantId: "g-race",
              clientId: "flow-client",
              subject: "s",
              scopes: [],
            }),
          );
          const redemptions = await Promise.all(
            attempts.map((queries, i) =>
              queries.transaction([stores.codes.use(hash), (tokens[i] as (typeof tokens)[0]).insert]),
            ),
          );
          assert.deepEqual(redemptions.toSorted(), ["used", "used", "used", undefined], `${name}: one wins`);
          const issued = await Promise.all(
            tokens.map((token) => stores.accessTokens.findActive(token.token)),
          );
          assert.equal(issued.filter(Boolean).length, 1, `${name}: only the winner's token is stored`);
        }
      } finally {
        await other.$disconnect();
      }
    });

    const newRefresh = (subject = "s") =>
      stores.refreshTokens.newToken({
        grantId: "g-refresh",
        clientId: "flow-client",
        subject,
        scopes: ["offline"],
        accessTokenExtra: {},
        idTokenExtra: {},
        authTime: new Date(),
      });

    test("a refresh token used four times at once is used once, or by each within the grace period", async () => {
      for (const [graceMs, winners] of [
        [0, 1],
        [60_000, 4],
      ] as const) {
        const refresh = newRefresh();
        await raw.transaction([refresh.insert]);
        const hash = stores.refreshTokens.hash(refresh.token);
        const rotated = [0, 1, 2, 3].map(() => newRefresh());
        const uses = await Promise.all(
          rotated.map((next) =>
            raw.transaction([
              stores.refreshTokens.use(hash, graceMs),
              stores.subjects.notDeleted("s"),
              next.insert,
            ]),
          ),
        );
        assert.equal(uses.filter((use) => use === undefined).length, winners, `grace ${graceMs} ms`);
        const stored = await Promise.all(rotated.map((next) => stores.refreshTokens.find(next.token)));
        assert.equal(stored.filter(Boolean).length, winners, `grace ${graceMs} ms: only the winners' tokens`);
      }
    });

    if (backend === "postgresql") {
      /** The raw layer on a pool of its own, which records every statement it sends. */
      const recorded = () => {
        const pool = new pg.Pool({ ...postgresSettings(url), max: 4 });
        const sent: string[] = [];
        const wrapped = new WeakSet<pg.PoolClient>();
        pool.on("acquire", (client) => {
          if (wrapped.has(client)) return;
          wrapped.add(client);
          const query = client.query.bind(client) as (...args: unknown[]) => unknown;
          client.query = ((config: string | pg.QueryConfig, ...rest: unknown[]) => {
            sent.push(typeof config === "string" ? config : config.text);
            return query(config, ...rest);
          }) as typeof client.query;
        });
        return { queries: new PostgresRawQueries(pool), sent, end: () => pool.end() };
      };

      const newCode = (subject = "s") =>
        stores.codes.newCode({
          grantId: "g-once",
          clientId: "flow-client",
          subject,
          scopes: ["openid"],
          redirectUri: "",
          redirectUriGiven: false,
          codeChallenge: null,
          challengeMethod: null,
          nonce: null,
          authTime: new Date(),
          accessTokenExtra: {},
          idTokenExtra: {},
        });
      const newAccess = (subject = "s") =>
        stores.accessTokens.newToken({ grantId: "g-once", clientId: "flow-client", subject, scopes: [] });
      const grantRow = (grantId: string, subject = "s") =>
        stores.grants.insert({
          grantId,
          clientId: "flow-client",
          subject,
          scopes: ["openid"],
          signIn: { authTime: new Date(), amr: [] },
          claims: {},
        });
      /** The authorization response's writes: the consent request used, its grant, a code, an access token. */
      const authorizationResponse = (requestId: string, grantId: string) => {
        const code = newCode();
        const access = newAccess();
        const writes = [stores.consent.use(requestId), grantRow(grantId), code.insert, access.insert];
        return { code, access, writes };
      };
      /**
       * A token exchange's writes: the code or refresh token used, the subject not deleted, the grant
       * not revoked, the new tokens.
       */
      const tokenExchange = (use: Write<string>, subject = "s", grantId = "g-once") => {
        const access = newAccess(subject);
        const refresh = newRefresh(subject);
        return {
          access,
          refresh,
          writes: [
            use,
            stores.subjects.notDeleted(subject),
            notRevoked(grantId),
            access.insert,
            refresh.insert,
          ],
        };
      };
      const acceptedRequest = async () => {
        const { request } = await newRequest();
        const decision = { subject: "s", grantScopes: ["openid"], accessTokenExtra: {}, idTokenExtra: {} };
        assert.ok(await stores.consent.accept(request.id, decision));
        return request.id;
      };

      test("PostgreSQL: the authorization response and each token exchange are one statement (one round trip)", async () => {
        const { queries, sent, end } = recorded();
        try {
          // The authorization response: the consent request used, the grant, the code, the access token.
          const requestId = await acceptedRequest();
          const { code, access: implicit, writes } = authorizationResponse(requestId, `once-${requestId}`);
          assert.equal(await queries.transaction(writes), undefined);
          assert.equal(sent.length, 1, sent.join("\n"));
          assert.ok((await db.consentRequest.findUnique({ where: { id: requestId } }))?.usedAt);
          assert.ok(await stores.grants.find(`once-${requestId}`));
          assert.ok(await stores.codes.find(code.code));
          assert.ok(await stores.accessTokens.findActive(implicit.token));

          // The code exchange: the code used, the subject not deleted, the access and refresh tokens.
          const {
            access,
            refresh,
            writes: exchanged,
          } = tokenExchange(stores.codes.use(stores.codes.hash(code.code)));
          assert.equal(await queries.transaction(exchanged), undefined);
          assert.equal(sent.length, 2);
          assert.ok((await stores.codes.find(code.code))?.usedAt instanceof Date);
          assert.ok(await stores.accessTokens.findActive(access.token));
          assert.ok(await stores.refreshTokens.find(refresh.token));

          // The refresh exchange: the refresh token used (rotated), the same checks and rows.
          const { refresh: rotated, writes: rotation } = tokenExchange(
            stores.refreshTokens.use(stores.refreshTokens.hash(refresh.token), 0),
          );
          assert.equal(await queries.transaction(rotation), undefined);
          assert.equal(sent.length, 3);
          assert.ok((await stores.refreshTokens.find(refresh.token))?.usedAt instanceof Date);
          assert.ok(await stores.refreshTokens.find(rotated.token));

          // A list of another shape still runs as one transaction, between BEGIN and COMMIT.
          assert.equal(
            await queries.transaction([grantRow("other-shape"), stores.consent.use(requestId)]),
            "used",
          );
          assert.deepEqual([sent[3], sent.at(-1)], ["BEGIN", "ROLLBACK"]);
          assert.equal(await stores.grants.find("other-shape"), null);
        } finally {
          await end();
        }
      });

      test("PostgreSQL: a refused use or check writes nothing and is named as the writes in order would name it", async () => {
        const { queries, sent, end } = recorded();
        await db.deletedSubject.create({ data: { subject: "deleted-once" } });
        const answerWith = async (requestId: string, expected: string, name: string) => {
          const { code, access, writes } = authorizationResponse(requestId, `refused-${requestId}`);
          const before = sent.length;
          assert.equal(await queries.transaction(writes), expected, name);
          assert.equal(sent.length, before + 1, `${name}: one round trip`);
          assert.equal(await stores.grants.find(`refused-${requestId}`), null, `${name}: no grant`);
          assert.equal(await stores.codes.find(code.code), null, `${name}: no code`);
          assert.equal(await stores.accessTokens.findActive(access.token), null, `${name}: no token`);
        };
        /** Exchanges the code or refresh token `use` for new tokens; the used row is unchanged when refused. */
        const exchange = async (
          use: Write<string>,
          subject: string,
          expected: string | undefined,
          name: string,
          usedAt: () => Promise<Date | null | undefined>,
        ) => {
          const { access, refresh, writes } = tokenExchange(use, subject);
          const usedBefore = await usedAt();
          const before = sent.length;
          assert.equal(await queries.transaction(writes), expected, name);
          assert.equal(sent.length, before + 1, `${name}: one round trip`);
          const written = expected === undefined;
          assert.equal(
            !!(await stores.accessTokens.findActive(access.token)),
            written,
            `${name}: access token`,
          );
          assert.equal(!!(await stores.refreshTokens.find(refresh.token)), written, `${name}: refresh token`);
          if (!written) assert.deepEqual(await usedAt(), usedBefore, `${name}: the use is not recorded`);
        };
        try {
          const { request: undecided } = await newRequest();
          await answerWith(undecided.id, "used", "an undecided consent request");
          const expired = await acceptedRequest();
          await db.consentRequest.update({
            where: { id: expired },
            data: { expiresAt: new Date(Date.now() - 1) },
          });
          await answerWith(expired, "used", "an expired consent request");
          const used = await acceptedRequest();
          assert.ok(await stores.consent.consume(used));
          await answerWith(used, "used", "a used consent request");

          const codeOf = async (subject: string) => {
            const code = newCode(subject);
            await raw.transaction([code.insert]);
            const hash = stores.codes.hash(code.code);
            return { hash, usedAt: async () => (await stores.codes.find(code.code))?.usedAt };
          };
          const usedCode = await codeOf("s");
          assert.equal(await raw.transaction([stores.codes.use(usedCode.hash)]), undefined);
          await exchange(stores.codes.use(usedCode.hash), "s", "used", "a used code", usedCode.usedAt);
          const deletedCode = await codeOf("deleted-once");
          await exchange(
            stores.codes.use(deletedCode.hash),
            "deleted-once",
            "deleted",
            "the code of a deleted subject",
            deletedCode.usedAt,
          );
          const both = await codeOf("deleted-once");
          assert.equal(await raw.transaction([stores.codes.use(both.hash)]), undefined);
          await exchange(
            stores.codes.use(both.hash),
            "deleted-once",
            "used",
            "a used code of a deleted subject",
            both.usedAt,
          );

          const refreshOf = async (subject: string, usedAt: Date | null, revokedAt: Date | null = null) => {
            const refresh = newRefresh(subject);
            await raw.transaction([refresh.insert]);
            const hash = stores.refreshTokens.hash(refresh.token);
            await db.refreshToken.update({ where: { hash }, data: { usedAt, revokedAt } });
            return { hash, usedAt: async () => (await stores.refreshTokens.find(refresh.token))?.usedAt };
          };
          const cases = [
            ["a used refresh token, no grace", "s", new Date(), null, 0, "used"],
            [
              "a refresh token used before the grace period",
              "s",
              new Date(Date.now() - 120_000),
              null,
              60_000,
              "used",
            ],
            ["a revoked refresh token", "s", null, new Date(), 60_000, "used"],
            [
              "a refresh token used within the grace period",
              "s",
              new Date(Date.now() - 1_000),
              null,
              60_000,
              undefined,
            ],
            ["the refresh token of a deleted subject", "deleted-once", null, null, 60_000, "deleted"],
          ] as const;
          for (const [name, subject, usedAt, revokedAt, graceMs, expected] of cases) {
            const refresh = await refreshOf(subject, usedAt, revokedAt);
            await exchange(
              stores.refreshTokens.use(refresh.hash, graceMs),
              subject,
              expected,
              name,
              refresh.usedAt,
            );
            if (usedAt) assert.deepEqual(await refresh.usedAt(), usedAt, `${name}: the first use is kept`);
          }

          await db.revokedGrant.create({ data: { grantId: "g-revoked", revokedAt: new Date() } });
          const marked = await refreshOf("s", null);
          const { access, writes } = tokenExchange(
            stores.refreshTokens.use(marked.hash, 0),
            "s",
            "g-revoked",
          );
          const before = sent.length;
          assert.equal(await queries.transaction(writes), "revoked", "the refresh token of a revoked grant");
          assert.equal(sent.length, before + 1, "a revoked grant: one round trip");
          assert.equal(await marked.usedAt(), null, "a revoked grant: the use is not recorded");
          assert.equal(
            await db.accessToken.count({ where: { hash: stores.accessTokens.hash(access.token) } }),
            0,
          );
        } finally {
          await end();
        }
      });
    }

    // Only SQLite shares one connection between Prisma and the raw layer.
    if (backend === "sqlite")
      test("a transaction neither joins an open Prisma transaction nor blocks the process on another writer", async () => {
        const grant = (grantId: string) =>
          insertRow(AUTHORIZATION_GRANT_ROW, {
            grantId,
            clientId: "flow-client",
            subject: "s",
            scopes: "",
            sid: null,
            authTime: new Date(Date.UTC(2030, 0, 1)),
            amr: "[]",
            acr: null,
            claims: "{}",
            createdAt: new Date(Date.UTC(2030, 0, 1)),
            audience: "",
            consentRequestId: null,
          });
        let written: Promise<string | undefined> | undefined;
        await assert.rejects(
          db.$transaction(async (tx) => {
            await tx.deletedSubject.create({ data: { subject: "inside-tx" } });
            written = raw.transaction([grant("outside-tx-1"), grant("outside-tx-2")]);
            await new Promise((resolve) => setTimeout(resolve, 20));
            // Had the raw transaction joined this one, its rows would now be visible in it.
            assert.equal(
              await tx.authorizationGrant.count({ where: { grantId: { startsWith: "outside-tx" } } }),
              0,
            );
            throw new Error("roll back");
          }),
          /roll back/,
        );
        assert.equal(await written, undefined);
        assert.ok(
          await raw.rowByKey(AUTHORIZATION_GRANT_ROW, "outside-tx-1"),
          "the raw rows survive the rollback",
        );
        assert.ok(await raw.rowByKey(AUTHORIZATION_GRANT_ROW, "outside-tx-2"));
        assert.equal(await db.deletedSubject.findUnique({ where: { subject: "inside-tx" } }), null);

        // Another connection (another worker) holds the write lock for 100 ms.
        const { default: Sqlite } = await import("better-sqlite3");
        const holder = new Sqlite(sqlitePath(url));
        try {
          holder.prepare("BEGIN IMMEDIATE").run();
          let ticks = 0;
          const timer = setInterval(() => ticks++, 5);
          const waiting = raw.transaction([grant("after-lock")]);
          setTimeout(() => holder.prepare("COMMIT").run(), 100);
          assert.equal(await waiting, undefined);
          clearInterval(timer);
          // Ordering, not timing: the 5 ms interval fires before the 100 ms release only if the
          // transaction waited on later turns instead of sleeping the process in SQLite's busy wait.
          assert.ok(ticks >= 1, `the event loop kept turning while the transaction waited (${ticks} ticks)`);
          assert.ok(await raw.rowByKey(AUTHORIZATION_GRANT_ROW, "after-lock"));
        } finally {
          holder.close();
        }
      });
  });
}
