import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { sqlitePath } from "@/db/client.ts";
import {
  BACKENDS,
  basicAuth,
  freshDatabase,
  introspect,
  type Portico,
  startPortico,
} from "@/tests/support/server.ts";

// `npm run db:backup -- <file>` (scripts/db.ts backup): a consistent copy of a SQLite database taken
// while Portico serves, and a restore of it (stop, put the copy in place, start) that brings back the
// clients, people, keys and tokens it holds. Same SYSTEM_SECRET on both sides, as the README says.

const SECRET = "test-system-secret-0123456789";

/** Runs a project script from source until it exits: its exit code, stdout and stderr. */
async function run(
  [script, ...args]: [string, ...string[]],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommand(process.execPath, ["--import", "tsx", script, ...args], env);
}

/** Runs a program until it exits: its exit code, stdout and stderr. */
async function runCommand(
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(program, args, {
    env: { PATH: process.env.PATH, ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

async function json<T>(response: Response): Promise<T> {
  assert.ok(response.ok, `${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

describe("npm run db:backup (SQLite)", () => {
  const dir = mkdtempSync(join(tmpdir(), "portico-backup-"));
  const servers: Portico[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a backup taken under load restores clients, people, keys and tokens", async () => {
    const databaseUrl = `file:${join(dir, "live", "portico.db")}`;
    const env = { SYSTEM_SECRET: SECRET };
    const first = await startPortico({ databaseUrl, env });
    servers.push(first);
    const root = await first.rootToken();

    // A client, a person, a key set of our own, and tokens: all of it before the backup.
    const client = { client_id: "backed-up", client_secret: "a-secret-of-the-backed-up-client" };
    await json(
      await first.call("/clients", {
        token: root,
        json: {
          id: client.client_id,
          client_secret: client.client_secret,
          grant_types: ["client_credentials"],
          scope: "read",
        },
      }),
    );
    const clientToken = await first.tokenFor(client.client_id, client.client_secret, "read");
    const created = await run(
      ["scripts/users.ts", "create", "--email", "ann@example.com", "--password", "correct horse battery"],
      { DATABASE_URL: databaseUrl, SYSTEM_SECRET: SECRET, ISSUER: first.url },
    );
    assert.equal(created.code, 0, created.stderr);
    await json(await first.call("/keys/backed-up-keys", { token: root, json: { alg: "ES256", kid: "k1" } }));
    const keysBefore = await json<unknown>(await first.call("/keys/backed-up-keys", { token: root }));
    const jwksBefore = await json<{ keys: { kid: string }[] }>(await first.call("/.well-known/jwks.json"));
    const idTokenKeyBefore = await json<unknown>(
      await first.call("/keys/hydra.openid.id-token/private", { token: root }),
    );

    // Token requests all along the backup: the server keeps writing while it is copied.
    let serving = true;
    let issued = 0;
    const failures: string[] = [];
    const load = (async () => {
      while (serving) {
        const response = await fetch(`${first.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: basicAuth(client.client_id, client.client_secret),
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ grant_type: "client_credentials", scope: "read" }),
        });
        if (response.ok) issued++;
        else failures.push(`${response.status} ${await response.text()}`);
        await response.body?.cancel().catch(() => {});
      }
    })();
    // At least one token written by the load before the copy starts (it lives in the WAL).
    while (issued === 0 && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const lastBeforeBackup = await first.tokenFor(client.client_id, client.client_secret, "read");
    const target = join(dir, "backups", "portico-backup.db");
    const backup = await run(["scripts/db.ts", "backup", target], { DATABASE_URL: databaseUrl });
    serving = false;
    await load;
    assert.equal(backup.code, 0, backup.stderr);
    assert.deepEqual(failures, []);
    assert.match(
      backup.stdout,
      /^backed up .*portico\.db to .*portico-backup\.db \(\d+ bytes, last migration \d{14}_\w+\)\n$/,
    );
    assert.equal(statSync(target).mode & 0o777, 0o600);

    // A consistent database on its own: no -wal beside it is needed.
    const copy = new BetterSqlite3(target, { readonly: true });
    try {
      assert.equal(copy.pragma("integrity_check", { simple: true }), "ok");
      assert.deepEqual(copy.pragma("foreign_key_check"), []);
    } finally {
      copy.close();
    }
    assert.ok(!existsSync(`${target}-wal`));

    await first.stop();

    // Restore into a fresh data location: the copy becomes the database file.
    const restoredUrl = `file:${join(dir, "restored", "portico.db")}`;
    mkdirSync(join(dir, "restored"), { mode: 0o700 });
    copyFileSync(target, sqlitePath(restoredUrl));
    const second = await startPortico({ databaseUrl: restoredUrl, env });
    servers.push(second);

    // The root client's token issued before the backup still works, as do the client's.
    const jwksAfter = await json<{ keys: { kid: string }[] }>(await second.call("/.well-known/jwks.json"));
    assert.deepEqual(jwksAfter, jwksBefore);
    assert.deepEqual(await json(await second.call("/keys/backed-up-keys", { token: root })), keysBefore);
    assert.deepEqual(
      await json(await second.call("/keys/hydra.openid.id-token/private", { token: root })),
      idTokenKeyBefore,
    );
    for (const token of [clientToken, lastBeforeBackup]) {
      const seen = await introspect(second, token);
      assert.equal(seen.active, true);
      assert.equal(seen.client_id, client.client_id);
    }
    const fetched = await json<{ id: string }>(await second.call("/clients/backed-up", { token: root }));
    assert.equal(fetched.id, client.client_id);
    await second.tokenFor(client.client_id, client.client_secret, "read");
    const listed = await run(["scripts/users.ts", "list"], {
      DATABASE_URL: restoredUrl,
      SYSTEM_SECRET: SECRET,
      ISSUER: second.url,
    });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ann@example\.com/);
  });

  test("refuses, in one line, a target that exists and a PostgreSQL DATABASE_URL", async () => {
    const databaseUrl = `file:${join(dir, "refusals", "portico.db")}`;
    const migrated = await run(["scripts/db.ts", "migrate"], { DATABASE_URL: databaseUrl });
    assert.equal(migrated.code, 0, migrated.stderr);
    const target = join(dir, "refusals", "taken.db");
    const taken = await run(["scripts/db.ts", "backup", target], { DATABASE_URL: databaseUrl });
    assert.equal(taken.code, 0, taken.stderr);
    const size = statSync(target).size;

    const again = await run(["scripts/db.ts", "backup", target], { DATABASE_URL: databaseUrl });
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `${target} exists: db:backup never overwrites a file, name a new one\n`);
    assert.equal(statSync(target).size, size);

    const postgres = await run(["scripts/db.ts", "backup", join(dir, "refusals", "pg.db")], {
      DATABASE_URL: "postgresql://app:app@127.0.0.1:5432/portico?schema=tenant",
    });
    assert.equal(postgres.code, 1);
    assert.equal(
      postgres.stderr,
      'db:backup copies a SQLite database; DATABASE_URL is PostgreSQL: use pg_dump (README, "Backup and restore")\n',
    );
    assert.ok(!existsSync(join(dir, "refusals", "pg.db")));

    const missing = await run(["scripts/db.ts", "backup", join(dir, "refusals", "none-copy.db")], {
      DATABASE_URL: `file:${join(dir, "refusals", "none.db")}`,
    });
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `there is no database at ${join(dir, "refusals", "none.db")} (DATABASE_URL)\n`,
    );
    assert.ok(!existsSync(join(dir, "refusals", "none.db")));
  });
});

if (BACKENDS.includes("postgresql"))
  describe("pg_dump and pg_restore (README, Backup and restore)", () => {
    test("a dump of a ?schema= database, taken while serving, restores into a new database", async () => {
      const source = await freshDatabase("postgresql");
      const target = await freshDatabase("postgresql");
      const dir = mkdtempSync(join(tmpdir(), "portico-pg-backup-"));
      const servers: Portico[] = [];
      try {
        const env = { SYSTEM_SECRET: SECRET };
        const first = await startPortico({ databaseUrl: `${source.url}?schema=tenant`, env });
        servers.push(first);
        const token = await first.rootToken();
        const jwks = await json<unknown>(await first.call("/.well-known/jwks.json"));
        let serving = true;
        const load = (async () => {
          while (serving) await first.rootToken();
        })();
        // As the README says: pg_dump wants the URL without Portico's ?schema=, and --schema instead.
        const dump = join(dir, "portico.dump");
        const dumped = await runCommand(
          "pg_dump",
          ["--format=custom", "--schema=tenant", `--file=${dump}`, source.url],
          { PATH: process.env.PATH ?? "" },
        );
        serving = false;
        await load;
        assert.equal(dumped.code, 0, dumped.stderr);
        await first.stop();
        const restored = await runCommand(
          "pg_restore",
          ["--no-owner", "--exit-on-error", "-d", target.url, dump],
          { PATH: process.env.PATH ?? "" },
        );
        assert.equal(restored.code, 0, restored.stderr);

        const second = await startPortico({ databaseUrl: `${target.url}?schema=tenant`, env });
        servers.push(second);
        assert.deepEqual(await json<unknown>(await second.call("/.well-known/jwks.json")), jwks);
        assert.equal((await introspect(second, token)).active, true);
      } finally {
        for (const server of servers) await server.stop();
        await source.drop();
        await target.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
