import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import BetterSqlite3 from "better-sqlite3";
import { sqlitePath } from "@/db/client.ts";
import { outage, relayedDatabase } from "@/tests/support/outage.ts";
import { freePorts } from "@/tests/support/ports.ts";
import { BACKENDS, freshDatabase, startPortico } from "@/tests/support/server.ts";

// What an operator sees when the machine or the database is in the way: at start, one line
// naming the variable to look at (no stack trace, no password); while serving, a 503 that says
// the database is unavailable (no stack, nothing of the driver's), and service again once the
// database is back, without a restart.

const SECRET = "test-system-secret-0123456789";

/**
 * Runs one of the project's scripts (and its arguments) from source until it exits, in `cwd` (the
 * project's folder by default), with only PATH and `env` in its environment: its exit code, and
 * what it wrote to stderr (with `stdout: true`, to stdout as well).
 */
async function run(
  [script, ...args]: [string, ...string[]],
  env: Record<string, string>,
  options: { cwd?: string; stdout?: boolean } = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), join(process.cwd(), script), ...args],
    {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        TSX_TSCONFIG_PATH: join(process.cwd(), "tsconfig.json"),
        ...env,
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", options.stdout ? "pipe" : "ignore", "pipe"],
    },
  );
  let output = "";
  for (const stream of [child.stdout, child.stderr])
    stream?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

/** Runs `npm start`'s entry from source until it exits (in `cwd`, the project's folder by default); its exit code and stderr. */
async function start(
  env: Record<string, string>,
  cwd?: string,
): Promise<{ code: number | null; stderr: string }> {
  const { code, output } = await run(
    ["server/main.ts"],
    { SYSTEM_SECRET: SECRET, BCRYPT_COST: "4", WORKERS: "1", ...env },
    { cwd },
  );
  return { code, stderr: output };
}

/** The lines of a failed start other than Next.js's own banner; exactly one expected. */
function reasonOf(stderr: string): string {
  const lines = stderr
    .trim()
    .split("\n")
    .filter((line) => !line.includes("next.config"));
  assert.equal(lines.length, 1, `one line expected:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at |"stack"/, "no stack trace");
  return lines[0] as string;
}

/** Records in a SQLite database a migration of a newer Portico than this one. */
function markMigratedByNewerVersion(url: string): void {
  const db = new BetterSqlite3(sqlitePath(url));
  db.prepare(
    `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
     VALUES ('newer', 'x', 1, '29991231000000_from_a_newer_version', 1, 1)`,
  ).run();
  db.close();
}

describe("a start that the machine or the settings prevent", () => {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  for (const workers of ["1", "2"]) {
    test(`a port in use names PORT or ADMIN_PORT (WORKERS=${workers})`, async () => {
      const database = await freshDatabase("sqlite");
      cleanups.push(database.drop);
      const [port, adminPort] = (await freePorts(2)) as [number, number];
      for (const [name, taken] of [
        ["PORT", port],
        ["ADMIN_PORT", adminPort],
      ] as const) {
        const squatter = createServer().listen(taken, "127.0.0.1");
        await new Promise((resolve) => squatter.once("listening", resolve));
        try {
          const { code, stderr } = await start({
            DATABASE_URL: database.url,
            PORT: String(port),
            HOST: "127.0.0.1",
            ADMIN_PORT: String(adminPort),
            WORKERS: workers,
          });
          assert.equal(code, 1);
          // (Before it, the setup child logs the migrations it applied.) The reason is one line,
          // said once however many workers met it, and nothing more about the workers.
          const reasons = stderr.split("\n").filter((line) => line.startsWith("Portico could not"));
          assert.deepEqual(reasons, [
            `Portico could not start: ${name} ${taken} on 127.0.0.1 is in use by another process`,
          ]);
          assert.doesNotMatch(stderr, /a worker could not start/);
          assert.doesNotMatch(stderr, /\n\s+at |"stack"/);
        } finally {
          await new Promise((resolve) => squatter.close(resolve));
        }
      }
    });
  }

  test("PORT and ADMIN_PORT alike, or a DATABASE_URL the driver cannot read, is a configuration error", async () => {
    const [port] = (await freePorts(1)) as [number];
    let result = await start({
      DATABASE_URL: "file:./data/never-created.db",
      PORT: String(port),
      ADMIN_PORT: String(port),
    });
    assert.equal(result.code, 1);
    assert.equal(
      reasonOf(result.stderr),
      "Configuration error: ADMIN_PORT must differ from PORT: the admin API has a listener of its own",
    );
    result = await start({ DATABASE_URL: "postgresql://app:50%off@127.0.0.1:5432/app" });
    assert.equal(result.code, 1);
    assert.match(
      reasonOf(result.stderr),
      /^Configuration error: DATABASE_URL must be a URL such as postgresql:\/\//,
    );
  });

  test("an https ISSUER without SMTP_URL is a configuration error: reset links would go to the log", async () => {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const result = await start({
      DATABASE_URL: "file:./data/never-created.db",
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      ISSUER: "https://auth.example.com",
    });
    assert.equal(result.code, 1);
    assert.equal(
      reasonOf(result.stderr),
      "Configuration error: SMTP_URL is required when ISSUER is https: without a mail server every email, password-reset links included, is written to the log. Set SMTP_URL=log to choose that",
    );
  });

  test("a SQLite file that cannot be created names DATABASE_URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portico-test-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // Its folder would be a plain file.
    writeFileSync(join(dir, "file"), "");
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const { code, stderr } = await start({
      DATABASE_URL: `file:${join(dir, "file", "portico.db")}`,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
    });
    assert.equal(code, 1);
    assert.match(
      reasonOf(stderr),
      /^Portico could not start: the SQLite file of DATABASE_URL cannot be used \(/,
    );
  });

  test("the quickstart with its port taken (say, by another quickstart) says so instead of 'Portico is running'", async () => {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const squatter = createServer().listen(port);
    await new Promise((resolve) => squatter.once("listening", resolve));
    // A directory of its own: were the check missing, nothing would be built or written here.
    const dir = mkdtempSync(join(tmpdir(), "portico-test-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    try {
      const { code, output } = await run(
        ["scripts/quickstart.ts"],
        { SYSTEM_SECRET: SECRET, PORT: String(port), ADMIN_PORT: String(adminPort) },
        { cwd: dir, stdout: true },
      );
      assert.equal(code, 1, output);
      assert.equal(
        output.trim(),
        `PORT ${port} is in use (is Portico running already?): stop that, or set PORT.`,
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  test("a database a newer version migrated: one line naming the migration, and no start", async () => {
    const database = await freshDatabase("sqlite");
    cleanups.push(database.drop);
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const env = {
      DATABASE_URL: database.url,
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      HOST: "127.0.0.1",
    };
    // A first start migrates the database; the test stops it at once by making it fail to listen.
    const squatter = createServer().listen(port, "127.0.0.1");
    await new Promise((resolve) => squatter.once("listening", resolve));
    await start(env);
    await new Promise((resolve) => squatter.close(resolve));
    markMigratedByNewerVersion(database.url);
    const { code, stderr } = await start(env);
    assert.equal(code, 1);
    assert.equal(
      stderr.split("\n").find((line) => line.startsWith("Portico could not")),
      "Portico could not start: the database was migrated by a newer version of Portico (migration 29991231000000_from_a_newer_version): run that version, or restore the backup taken before upgrading",
    );
    assert.doesNotMatch(stderr, /\n\s+at |"stack"/);
  });

  test("started from another folder, it says so in one line instead of serving a database without tables", async () => {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const dir = mkdtempSync(join(tmpdir(), "portico-test-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { code, stderr } = await start(
      { PORT: String(port), ADMIN_PORT: String(adminPort), DATABASE_URL: `file:${join(dir, "portico.db")}` },
      dir,
    );
    assert.equal(code, 1, stderr);
    assert.equal(
      reasonOf(stderr),
      `Portico could not start: no migrations in ${join(dir, "prisma", "migrations", "sqlite")}: start Portico from its own folder (npm start)`,
    );
  });

  test("the quickstart with a database it cannot reach says so in one line, before any build", async () => {
    const [port, adminPort, closed] = (await freePorts(3)) as [number, number, number];
    // In the project's folder (its migrations are read from there); with SYSTEM_SECRET set and
    // PostgreSQL, it writes nothing there.
    const { code, output } = await run(
      ["scripts/quickstart.ts"],
      {
        SYSTEM_SECRET: SECRET,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        DATABASE_URL: `postgresql://app:app@127.0.0.1:${closed}/app`,
      },
      { stdout: true },
    );
    assert.equal(code, 1, output);
    assert.equal(
      output.trim(),
      `The database at DATABASE_URL cannot be used (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${closed})`,
    );
  });

  test("the users CLI with a database it cannot reach says so in one line", async () => {
    const [closed] = (await freePorts(1)) as [number];
    const { code, output: stderr } = await run(["scripts/users.ts", "list"], {
      DATABASE_URL: `postgresql://app:app@127.0.0.1:${closed}/app`,
    });
    assert.equal(code, 1);
    assert.equal(
      reasonOf(stderr),
      `The database at DATABASE_URL cannot be used (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${closed})`,
    );
  });

  test("the users CLI on a database a newer version migrated says so in one line", async () => {
    const database = await freshDatabase("sqlite");
    cleanups.push(database.drop);
    const env = { DATABASE_URL: database.url };
    const first = await run(["scripts/users.ts", "list"], env);
    assert.equal(first.code, 0, first.output);
    markMigratedByNewerVersion(database.url);
    const { code, output: stderr } = await run(["scripts/users.ts", "list"], env);
    assert.equal(code, 1);
    assert.equal(
      reasonOf(stderr),
      "the database was migrated by a newer version of Portico (migration 29991231000000_from_a_newer_version): run that version, or restore the backup taken before upgrading",
    );
  });

  test("npm run db:migrate and db:diff with a bad DATABASE_URL say so in one line", async () => {
    for (const command of ["migrate", "diff"]) {
      const { code, output: stderr } = await run(["scripts/db.ts", command], {
        DATABASE_URL: "mysql://localhost/portico",
      });
      assert.equal(code, 1, stderr);
      assert.equal(
        stderr.trim(),
        "DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL)",
        command,
      );
    }
  });

  if (BACKENDS.includes("postgresql")) {
    test("a PostgreSQL server that refuses the password, or is not there, names DATABASE_URL", async () => {
      const database = await freshDatabase("postgresql");
      cleanups.push(database.drop);
      const [port, adminPort, closed] = (await freePorts(3)) as [number, number, number];
      const wrong = new URL(database.url);
      wrong.password = "not-the-password-4711";
      let result = await start({
        DATABASE_URL: wrong.href,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
      });
      assert.equal(result.code, 1);
      assert.match(
        reasonOf(result.stderr),
        /^Portico could not start: the database at DATABASE_URL cannot be used \(28P01: password authentication failed for user/,
      );
      assert.ok(!result.stderr.includes("not-the-password-4711"), "the password is not written");
      const unreachable = new URL(database.url);
      unreachable.host = `127.0.0.1:${closed}`;
      result = await start({
        DATABASE_URL: unreachable.href,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
      });
      assert.equal(result.code, 1);
      assert.equal(
        reasonOf(result.stderr),
        `Portico could not start: the database at DATABASE_URL cannot be used (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${closed})`,
      );
    });
  }
});

/** Tries until the answer is `status` (a pool may hand out a connection cut before it notices). */
async function eventually(status: number, request: () => Promise<Response>): Promise<Response> {
  let response = await request();
  for (let tries = 0; response.status !== status && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    response = await request();
  }
  return response;
}

for (const backend of BACKENDS) {
  describe(`the database becomes unavailable while serving (${backend})`, () => {
    test("503 without a stack or the driver's words; the log holds a line without secrets; back without a restart", async () => {
      const database = await freshDatabase(backend);
      const { databaseUrl, relay } = await relayedDatabase(backend, database.url);
      const portico = await startPortico({ backend, databaseUrl });
      const clientSecret = "a-client-secret-for-the-outage-test";
      try {
        const token = await portico.rootToken("hydra.*");
        const created = await portico.call("/clients", {
          token,
          json: {
            id: "outage-app",
            client_secret: clientSecret,
            grant_types: ["client_credentials"],
            scope: "x",
          },
        });
        assert.equal(created.status, 201);
        const issue = () =>
          fetch(`${portico.url}/oauth2/token`, {
            method: "POST",
            headers: {
              authorization: `Basic ${Buffer.from(`outage-app:${clientSecret}`).toString("base64")}`,
              "content-type": "application/x-www-form-urlencoded",
            },
            body: "grant_type=client_credentials&scope=x",
          });

        await outage(backend, relay, database.url, async () => {
          if (backend === "postgresql") {
            // The back-channel retry poll (every 2 s) fails too, while the relay is down: it says so
            // once, not with a stack trace at every poll.
            const waits = () =>
              portico
                .output()
                .split("\n")
                .filter((line) => line.includes("retries wait"));
            for (let tries = 0; waits().length === 0 && tries < 100; tries++)
              await new Promise((resolve) => setTimeout(resolve, 100));
            await new Promise((resolve) => setTimeout(resolve, 4_500));
            assert.equal(waits().length, 1, portico.output());
            assert.doesNotMatch(portico.output(), /back-channel logout retries failed/);
          }
          const refused = await eventually(503, issue);
          assert.equal(refused.status, 503);
          const body = (await refused.json()) as { error: string; error_description: string };
          assert.equal(body.error, "temporarily_unavailable");
          assert.equal(body.error_description, "The database is unavailable at the moment; try again later");
          assert.equal(refused.headers.get("cache-control"), "no-store");

          // The 2017 admin API answers in its own envelope.
          const listed = await eventually(503, () =>
            portico.call("/clients", { token, method: "POST", json: { id: "during-outage", scope: "x" } }),
          );
          assert.equal(listed.status, 503);
          assert.deepEqual(await listed.json(), {
            error: {
              code: 503,
              status: "Service Unavailable",
              message: "The database is unavailable at the moment; try again later",
            },
          });

          // So does the Hydra 2.x admin API (a write: on SQLite only writes wait for the lock).
          const admin = await eventually(503, () =>
            fetch(`${portico.adminUrl}/admin/clients`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ client_name: "during the outage", grant_types: ["client_credentials"] }),
            }),
          );
          assert.equal(admin.status, 503);
          const adminBody = (await admin.json()) as { error: string; status_code: number };
          assert.equal(adminBody.error, "temporarily_unavailable");
          assert.equal(adminBody.status_code, 503);
        });

        const log = portico.output();
        assert.match(log, /"msg":"request failed: the database is unavailable"/);
        const outageLines = log.split("\n").filter((line) => line.includes("the database is unavailable"));
        for (const line of outageLines) assert.doesNotMatch(line, /"stack"/);
        for (const secret of [clientSecret, portico.root.secret, token]) assert.ok(!log.includes(secret));

        // Back: the same process serves again.
        const healed = await eventually(200, issue);
        assert.equal(healed.status, 200);
        if (backend === "postgresql") {
          const again = () =>
            portico.output().includes("back-channel logout retries: the database answers again");
          for (let tries = 0; !again() && tries < 100; tries++)
            await new Promise((resolve) => setTimeout(resolve, 100));
          assert.ok(again(), portico.output());
        }
        assert.equal((await portico.call("/clients/outage-app", { token })).status, 200);
      } finally {
        await portico.stop();
        await relay?.down();
        await database.drop();
      }
    });
  });
}
