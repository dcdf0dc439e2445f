// Upgrading keeps what a database made by an older Portico holds working. The
// test applies the migrations an older release shipped, writes rows as that
// release wrote them, then migrates the rest and uses them through a started
// server (the current code, on the upgraded database).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { hashSync } from "@node-rs/bcrypt";
import Sqlite from "better-sqlite3";
import { providerOf, sqlitePath } from "@/db/client.ts";
import { migrate, migrationsDir } from "@/db/migrate.ts";
import { withPostgresConnection } from "@/db/postgres-server.ts";
import { deriveKey, hashToken, randomToken } from "@/server/tokens/secrets.ts";
import { BACKENDS, freshDatabase, type Portico, startPortico } from "@/tests/support/server.ts";

/** What startPortico runs with: the token hashes below must be keyed alike. */
const SYSTEM_SECRET = "test-system-secret-0123456789";

/** A copy of the migrations up to and including `last`, as an older release shipped them. */
function migrationsUpTo(provider: "sqlite" | "postgresql", last: string): { root: string; drop(): void } {
  const root = mkdtempSync(join(tmpdir(), "portico-old-migrations-"));
  const from = migrationsDir(provider);
  const to = join(root, "prisma", "migrations", provider);
  for (const name of readdirSync(from)) {
    if (name.endsWith(".toml") || name <= last) cpSync(join(from, name), join(to, name), { recursive: true });
  }
  return { root, drop: () => rmSync(root, { recursive: true, force: true }) };
}

/** Runs statements with `?` parameters on either backend. */
async function execute(databaseUrl: string, statements: [string, unknown[]][]): Promise<void> {
  if (providerOf(databaseUrl) === "sqlite") {
    const db = new Sqlite(sqlitePath(databaseUrl));
    try {
      for (const [sql, params] of statements) {
        // SQLite's rows hold Prisma's text form of a DateTime.
        db.prepare(sql).run(
          ...params.map((value) =>
            value instanceof Date ? value.toISOString().replace("Z", "+00:00") : value,
          ),
        );
      }
    } finally {
      db.close();
    }
    return;
  }
  await withPostgresConnection(databaseUrl, async (client) => {
    for (const [sql, params] of statements) {
      let n = 0;
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
    }
  });
}

const form = (body: Record<string, string>) => new URLSearchParams(body);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

for (const backend of BACKENDS) {
  describe(`${backend}: tokens a release before authorization grants issued`, () => {
    test("still answer UserInfo after the upgrade, as do the tokens their refresh tokens and codes issue; a code stays redeemable as issued", async (t) => {
      const database = await freshDatabase(backend);
      let portico: Portico | undefined;
      // One hook, so that the server stops before its database goes.
      t.after(async () => {
        await portico?.stop();
        await database.drop();
      });
      const provider = backend === "sqlite" ? "sqlite" : "postgresql";
      // The last migration of the release before authorization_grants (20261206062649).
      const old = migrationsUpTo(provider, "20261130070830_client_revision_and_purge_indexes");
      t.after(old.drop);
      await migrate(database.url, old.root);

      const tokenKey = deriveKey(SYSTEM_SECRET, "token-hash");
      const accessToken = randomToken();
      const refreshToken = randomToken();
      const clientToken = randomToken();
      const code = randomToken();
      const codeWithoutUri = randomToken();
      const grantId = randomUUID();
      const now = new Date();
      const signedIn = new Date(now.getTime() - 60_000);
      const expires = new Date(now.getTime() + 3_600_000);
      await execute(database.url, [
        [
          `INSERT INTO "oauth2_clients" ("id", "name", "secretHash", "redirectUris", "grantTypes", "responseTypes",
            "scope", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            "old-app",
            "Old App",
            hashSync("old-app-secret-0123456789", 4),
            JSON.stringify(["https://old-app.example/cb"]),
            JSON.stringify(["authorization_code", "refresh_token", "client_credentials"]),
            JSON.stringify(["code"]),
            "openid offline profile",
            signedIn,
            signedIn,
          ],
        ],
        // A person's grant: the access and refresh token of one code exchange (the code is purged).
        [
          `INSERT INTO "access_tokens" ("hash", "grantId", "clientId", "subject", "scopes", "extra", "issuedAt",
            "expiresAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            hashToken(tokenKey, accessToken),
            grantId,
            "old-app",
            "alice",
            "openid offline profile",
            "{}",
            now,
            expires,
          ],
        ],
        [
          `INSERT INTO "refresh_tokens" ("hash", "grantId", "clientId", "subject", "scopes", "accessTokenExtra",
            "idTokenExtra", "authTime", "issuedAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            hashToken(tokenKey, refreshToken),
            grantId,
            "old-app",
            "alice",
            "openid offline profile",
            "{}",
            JSON.stringify({ name: "Alice" }),
            signedIn,
            now,
          ],
        ],
        // A code issued just before the upgrade, exchanged after it.
        [
          `INSERT INTO "authorization_codes" ("hash", "grantId", "clientId", "subject", "scopes", "redirectUri",
            "authTime", "accessTokenExtra", "idTokenExtra", "expiresAt", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            hashToken(tokenKey, code),
            randomUUID(),
            "old-app",
            "bob",
            "openid",
            "https://old-app.example/cb",
            signedIn,
            "{}",
            JSON.stringify({ nickname: "Bob" }),
            new Date(now.getTime() + 600_000),
            now,
          ],
        ],
        // One whose authorization request left redirect_uri out: that release stored "".
        [
          `INSERT INTO "authorization_codes" ("hash", "grantId", "clientId", "subject", "scopes", "redirectUri",
            "authTime", "accessTokenExtra", "idTokenExtra", "expiresAt", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            hashToken(tokenKey, codeWithoutUri),
            randomUUID(),
            "old-app",
            "cat",
            "openid",
            "",
            signedIn,
            "{}",
            "{}",
            new Date(now.getTime() + 600_000),
            now,
          ],
        ],
        // The client's own token (client_credentials): no person behind it, before or after.
        [
          `INSERT INTO "access_tokens" ("hash", "grantId", "clientId", "subject", "scopes", "extra", "issuedAt",
            "expiresAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            hashToken(tokenKey, clientToken),
            randomUUID(),
            "old-app",
            "old-app",
            "openid",
            "{}",
            now,
            expires,
          ],
        ],
      ]);

      await migrate(database.url);
      portico = await startPortico({ backend, databaseUrl: database.url });
      const { url } = portico;
      const userinfo = (token: string) =>
        fetch(`${url}/userinfo`, { headers: { authorization: `Bearer ${token}` } });

      const before = await userinfo(accessToken);
      assert.equal(before.status, 200, await before.clone().text());
      assert.deepEqual(await before.json(), { sub: "alice", name: "Alice" });

      const refreshed = await fetch(`${url}/oauth2/token`, {
        method: "POST",
        headers: { authorization: basic("old-app", "old-app-secret-0123456789") },
        body: form({ grant_type: "refresh_token", refresh_token: refreshToken }),
      });
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      const tokens = (await refreshed.json()) as { access_token: string; refresh_token: string };
      assert.ok(tokens.refresh_token);
      const after = await userinfo(tokens.access_token);
      assert.equal(after.status, 200, await after.clone().text());
      assert.deepEqual(await after.json(), { sub: "alice", name: "Alice" });

      const exchanged = await fetch(`${url}/oauth2/token`, {
        method: "POST",
        headers: { authorization: basic("old-app", "old-app-secret-0123456789") },
        body: form({ grant_type: "authorization_code", code, redirect_uri: "https://old-app.example/cb" }),
      });
      assert.equal(exchanged.status, 200, await exchanged.clone().text());
      const fromCode = await userinfo(((await exchanged.json()) as { access_token: string }).access_token);
      assert.equal(fromCode.status, 200, await fromCode.clone().text());
      // nickname is a profile claim: a grant of openid alone does not release it.
      assert.deepEqual(await fromCode.json(), { sub: "bob" });

      // RFC 6749 §4.1.3: it may be left out at the exchange, as the authorization request did.
      const withoutUri = await fetch(`${url}/oauth2/token`, {
        method: "POST",
        headers: { authorization: basic("old-app", "old-app-secret-0123456789") },
        body: form({ grant_type: "authorization_code", code: codeWithoutUri }),
      });
      assert.equal(withoutUri.status, 200, await withoutUri.clone().text());

      const client = await userinfo(clientToken);
      assert.equal(client.status, 401);
      assert.equal((await client.json()).error, "invalid_token");
    });
  });
}
