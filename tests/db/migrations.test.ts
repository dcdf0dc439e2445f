// The committed migrations must build exactly the schema in prisma/schema.prisma
// (and its PostgreSQL twin), and db/migrate.ts must apply them once, however
// many server instances start at the same time.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, type TestContext, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import Sqlite from "better-sqlite3";
import { type Provider, sqlitePath } from "@/db/client.ts";
import { DatabaseFromNewerVersion, migrate, readMigrations } from "@/db/migrate.ts";
import { throwawayPostgresDatabase, withPostgresConnection } from "@/db/postgres-server.ts";
import { createMigration, diffDatabaseAgainstSchema } from "@/scripts/schema-engine.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Backend {
  provider: Provider;
  /** A new, empty database, removed once the test is over. */
  freshDatabase(t: TestContext): Promise<string>;
  /** Every migration name recorded in _prisma_migrations, duplicates included, sorted. */
  recordedMigrations(databaseUrl: string): Promise<string[]>;
  /** Records a finished migration by name, as a newer version's migrator would. */
  recordMigration(databaseUrl: string, name: string): Promise<void>;
}

const RECORD = `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
  VALUES ('newer', 'x', CURRENT_TIMESTAMP, $1, CURRENT_TIMESTAMP, 1)`;

const sqlite: Backend = {
  provider: "sqlite",
  async freshDatabase(t) {
    const dir = mkdtempSync(join(tmpdir(), "portico-migrations-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    return `file:${join(dir, "test.db")}`;
  },
  async recordedMigrations(databaseUrl) {
    const db = new Sqlite(sqlitePath(databaseUrl), { readonly: true });
    try {
      const rows = db.prepare(`SELECT migration_name FROM "_prisma_migrations" ORDER BY 1`).all();
      return (rows as { migration_name: string }[]).map((row) => row.migration_name);
    } finally {
      db.close();
    }
  },
  async recordMigration(databaseUrl, name) {
    const db = new Sqlite(sqlitePath(databaseUrl));
    try {
      db.prepare(RECORD.replace("$1", "?")).run(name);
    } finally {
      db.close();
    }
  },
};

function postgres(serverUrl: string): Backend {
  return {
    provider: "postgresql",
    async freshDatabase(t) {
      const database = await throwawayPostgresDatabase(serverUrl, "portico_test_");
      t.after(database.drop);
      return database.url;
    },
    async recordedMigrations(databaseUrl) {
      return withPostgresConnection(databaseUrl, async (client) => {
        const { rows } = await client.query(`SELECT migration_name FROM "_prisma_migrations" ORDER BY 1`);
        return rows.map((row: { migration_name: string }) => row.migration_name);
      });
    },
    async recordMigration(databaseUrl, name) {
      await withPostgresConnection(databaseUrl, (client) => client.query(RECORD, [name]));
    },
  };
}

// A separate process per migrator, as when several server instances start at
// once: within one process, SQLite's synchronous driver would run them in turn.
// Each child loads first and waits for "go", so the two really overlap.
const MIGRATOR = `
const { migrate } = await import(process.env.MIGRATE_MODULE);
process.stdout.write("ready\\n");
process.stdin.once("data", async () => {
  const applied = await migrate(process.env.DATABASE_URL, process.env.MIGRATE_ROOT);
  process.stdout.write(JSON.stringify(applied) + "\\n");
  process.stdin.destroy();
});`;

function startMigrator(databaseUrl: string) {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", MIGRATOR], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      MIGRATE_ROOT: root,
      MIGRATE_MODULE: pathToFileURL(join(root, "db", "migrate.ts")).href,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
    if (stdout.startsWith("ready\n")) signalReady();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const result = new Promise<string[]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      if (code === 0 && last.startsWith("[")) resolve(JSON.parse(last) as string[]);
      else reject(new Error(`migrator exited with ${code}: ${stderr || stdout}`));
    });
  });
  // Fail fast rather than wait forever for a child that died while loading.
  const readyOrDead = Promise.race([ready, result.then(() => {})]);
  return { ready: readyOrDead, go: () => child.stdin.write("go\n"), result };
}

function testBackend(backend: Backend): void {
  describe(`${backend.provider} migrations`, () => {
    const names = readMigrations(backend.provider, root).map((migration) => migration.name);

    test("exist", () => {
      assert.ok(names.length > 0, `no migrations in prisma/migrations/${backend.provider}`);
    });

    test("build the schema exactly, and a second run applies nothing", async (t) => {
      const databaseUrl = await backend.freshDatabase(t);
      assert.deepEqual(await migrate(databaseUrl, root), names);
      const drift = await diffDatabaseAgainstSchema(databaseUrl, root);
      assert.equal(drift, "", `the migrations do not produce the schema; missing:\n${drift}`);
      assert.deepEqual(await migrate(databaseUrl, root), []);
      assert.deepEqual(await backend.recordedMigrations(databaseUrl), names);
    });

    if (backend.provider === "postgresql")
      test("npm run db:diff finds no drift in a database migrated into ?schema=", async (t) => {
        const url = new URL(await backend.freshDatabase(t));
        url.searchParams.set("schema", "tenant_diff");
        assert.deepEqual(await migrate(url.toString(), root), names);
        const drift = await diffDatabaseAgainstSchema(url.toString(), root);
        assert.equal(drift, "", `db:diff read another schema than ?schema= names:\n${drift.slice(0, 300)}`);
      });

    test("npm run db:migration replays them on its scratch database and has nothing to write", async (t) => {
      const databaseUrl = await backend.freshDatabase(t);
      // What `npm run db:migration -- <name>` does on each backend before it writes anything: the
      // schema engine applies every committed migration to a wiped scratch database. A ";" in a
      // migration's comment made adapter-pg cut the script there, and the command failed.
      const written = await createMigration(databaseUrl, "nothing_to_do", { root, scratch: true });
      if (written) rmSync(written, { recursive: true, force: true });
      assert.equal(written, null, "the committed migrations already produce the schema");
    });

    test("a database a newer version migrated is refused in one line that names the migration", async (t) => {
      const databaseUrl = await backend.freshDatabase(t);
      await migrate(databaseUrl, root);
      await backend.recordMigration(databaseUrl, "29991231000000_from_a_newer_version");
      await assert.rejects(migrate(databaseUrl, root), (error: unknown) => {
        assert.ok(error instanceof DatabaseFromNewerVersion);
        assert.match(
          error.message,
          /newer version of Portico \(migration 29991231000000_from_a_newer_version\)/,
        );
        return true;
      });
      assert.deepEqual(
        await backend.recordedMigrations(databaseUrl),
        [...names, "29991231000000_from_a_newer_version"].sort(),
      );
    });

    test("applied by two migrators at once, each exactly once", { timeout: 60_000 }, async (t) => {
      const databaseUrl = await backend.freshDatabase(t);
      const migrators = [startMigrator(databaseUrl), startMigrator(databaseUrl)];
      await Promise.all(migrators.map((migrator) => migrator.ready));
      for (const migrator of migrators) migrator.go();
      const applied = await Promise.all(migrators.map((migrator) => migrator.result));
      assert.deepEqual(applied.flat().sort(), names);
      assert.deepEqual(await backend.recordedMigrations(databaseUrl), names);
    });
  });
}

testBackend(sqlite);

// What Prisma generates for SQLite when a column changes in a way ALTER TABLE
// cannot express: copy, drop and rename the table, with foreign keys "off".
const REBUILD_PARENT = `PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_parent" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT NOT NULL DEFAULT '');
INSERT INTO "new_parent" ("id") SELECT "id" FROM "parent";
DROP TABLE "parent";
ALTER TABLE "new_parent" RENAME TO "parent";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
`;

test("sqlite: a table rebuild keeps the rows that reference the table", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "portico-rebuild-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, sql: string) => {
    mkdirSync(join(dir, "prisma", "migrations", "sqlite", name), { recursive: true });
    writeFileSync(join(dir, "prisma", "migrations", "sqlite", name, "migration.sql"), sql);
  };
  write(
    "1_init",
    `CREATE TABLE "parent" ("id" TEXT NOT NULL PRIMARY KEY);
     CREATE TABLE "child" ("id" TEXT NOT NULL PRIMARY KEY, "parentId" TEXT NOT NULL,
       CONSTRAINT "child_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "parent" ("id") ON DELETE CASCADE);
     INSERT INTO "parent" VALUES ('p');
     INSERT INTO "child" VALUES ('c', 'p');`,
  );
  const databaseUrl = `file:${join(dir, "test.db")}`;
  await migrate(databaseUrl, dir);
  write("2_rebuild_parent", REBUILD_PARENT);
  assert.deepEqual(await migrate(databaseUrl, dir), ["2_rebuild_parent"]);
  const db = new Sqlite(sqlitePath(databaseUrl), { readonly: true });
  try {
    assert.deepEqual(db.prepare(`SELECT "id", "parentId" FROM "child"`).all(), [{ id: "c", parentId: "p" }]);
  } finally {
    db.close();
  }
});

const postgresUrl = process.env.TEST_POSTGRES_URL;
if (postgresUrl) testBackend(postgres(postgresUrl));
else console.log("PostgreSQL was not configured (TEST_POSTGRES_URL unset): migrations tested on SQLite only");
