/**
 * `npm run bench:prisma`: what one query costs through Prisma (the generated
 * client with its driver adapter, as Portico uses it) against the same query
 * as a raw prepared statement, on a freshly migrated database, one query at a
 * time. Reports wall time and this process's CPU time per query.
 *
 * SQLite always; PostgreSQL too when BENCH_POSTGRES_URL is reachable
 * (default postgresql://app:app@127.0.0.1:5432/app_bench, recreated when its
 * name contains "bench"). PRISMA_BENCH_ITERATIONS (3000) per case.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { createDatabase, sqlitePath } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { postgresSettings } from "@/db/postgres-server.ts";
import { percentile } from "./lib/load.ts";
import { preparePostgres } from "./lib/servers.ts";

const iterations = Number(process.env.PRISMA_BENCH_ITERATIONS ?? 3000);
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? "postgresql://app:app@127.0.0.1:5432/app_bench";

interface Case {
  name: string;
  run: (i: number) => unknown;
}

interface Timing {
  name: string;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  cpuUs: number;
}

async function time({ name, run }: Case): Promise<Timing> {
  for (let i = 0; i < Math.min(500, iterations); i++) await run(i);
  const samples: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await run(i);
    samples.push((performance.now() - t0) * 1000);
  }
  const elapsed = (performance.now() - started) * 1000;
  const used = process.cpuUsage(cpu);
  samples.sort((a, b) => a - b);
  return {
    name,
    meanUs: elapsed / iterations,
    p50Us: percentile(samples, 50),
    p99Us: percentile(samples, 99),
    cpuUs: (used.user + used.system) / iterations,
  };
}

const client = (id: string) => ({
  id,
  name: "bench",
  secretHash: "$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
  grantTypes: '["client_credentials"]',
  scope: "read",
});

const token = (i: number, prefix: string) => ({
  hash: `${prefix}-${i}-${randomBytes(8).toString("hex")}`,
  grantId: `grant-${i}`,
  clientId: "bench",
  subject: "bench",
  scopes: "read",
  extra: "{}",
  issuedAt: new Date(),
  expiresAt: new Date(Date.now() + 3_600_000),
});

async function sqlite(): Promise<Timing[]> {
  const dir = mkdtempSync(join(tmpdir(), "portico-prisma-bench-"));
  const url = `file:${join(dir, "portico.db")}`;
  try {
    await migrate(url);
    const prisma = createDatabase(url);
    await prisma.oAuth2Client.create({ data: client("bench") });
    const known = token(0, "known");
    await prisma.accessToken.create({ data: known });
    const raw = new Sqlite(sqlitePath(url));
    raw.pragma("journal_mode = WAL");
    const selectClient = raw.prepare('SELECT * FROM "oauth2_clients" WHERE "id" = ?');
    const selectToken = raw.prepare('SELECT * FROM "access_tokens" WHERE "hash" = ?');
    const insertToken = raw.prepare(
      'INSERT INTO "access_tokens" ("hash","grantId","clientId","subject","scopes","extra","issuedAt","expiresAt") VALUES (?,?,?,?,?,?,?,?)',
    );
    const insertRaw = (i: number, prefix: string) => {
      const t = token(i, prefix);
      insertToken.run(
        t.hash,
        t.grantId,
        t.clientId,
        t.subject,
        t.scopes,
        t.extra,
        t.issuedAt.getTime(),
        t.expiresAt.getTime(),
      );
    };
    const cases: Case[] = [
      {
        name: "SQLite · client by id · Prisma findUnique",
        run: () => prisma.oAuth2Client.findUnique({ where: { id: "bench" } }),
      },
      { name: "SQLite · client by id · better-sqlite3 prepared", run: () => selectClient.get("bench") },
      {
        name: "SQLite · client by id · better-sqlite3 prepare() every time (what the adapter does)",
        run: () => raw.prepare('SELECT * FROM "oauth2_clients" WHERE "id" = ?').get("bench"),
      },
      {
        name: "SQLite · token by hash · Prisma findUnique",
        run: () => prisma.accessToken.findUnique({ where: { hash: known.hash } }),
      },
      { name: "SQLite · token by hash · better-sqlite3 prepared", run: () => selectToken.get(known.hash) },
      { name: "SQLite · policies, all · Prisma findMany", run: () => prisma.policy.findMany() },
      {
        name: "SQLite · insert token · Prisma create (synchronous=FULL, SQLite's default)",
        run: (i) => prisma.accessToken.create({ data: token(i, "prisma-full") }),
      },
      {
        name: "SQLite · insert token · better-sqlite3 prepared (synchronous=FULL)",
        run: (i) => insertRaw(i, "raw-full"),
      },
    ];
    const results: Timing[] = [];
    for (const c of cases) results.push(await time(c));
    // WAL with synchronous=NORMAL: no fsync per commit (durable across a crash of the process,
    // not of the machine). Set on both connections.
    raw.pragma("synchronous = NORMAL");
    await prisma.$executeRawUnsafe("PRAGMA synchronous = NORMAL");
    results.push(
      await time({
        name: "SQLite · insert token · Prisma create (synchronous=NORMAL)",
        run: (i) => prisma.accessToken.create({ data: token(i, "prisma-normal") }),
      }),
      await time({
        name: "SQLite · insert token · better-sqlite3 prepared (synchronous=NORMAL)",
        run: (i) => insertRaw(i, "raw-normal"),
      }),
    );
    raw.close();
    await prisma.$disconnect();
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(): Promise<Timing[]> {
  try {
    await preparePostgres(postgresUrl, process.env.BENCH_RESET !== "0");
  } catch (error) {
    process.stderr.write(`# PostgreSQL skipped: ${error instanceof Error ? error.message : String(error)}\n`);
    return [];
  }
  await migrate(postgresUrl);
  const prisma = createDatabase(postgresUrl);
  await prisma.oAuth2Client.upsert({ where: { id: "bench" }, create: client("bench"), update: {} });
  const known = token(0, "known");
  await prisma.accessToken.create({ data: known });
  const raw = new pg.Client(postgresSettings(postgresUrl));
  await raw.connect();
  const cases: Case[] = [
    {
      name: "PostgreSQL · client by id · Prisma findUnique",
      run: () => prisma.oAuth2Client.findUnique({ where: { id: "bench" } }),
    },
    {
      name: "PostgreSQL · client by id · pg named prepared statement",
      run: () =>
        raw.query({
          name: "client-by-id",
          text: 'SELECT * FROM "oauth2_clients" WHERE "id" = $1',
          values: ["bench"],
        }),
    },
    {
      name: "PostgreSQL · token by hash · Prisma findUnique",
      run: () => prisma.accessToken.findUnique({ where: { hash: known.hash } }),
    },
    {
      name: "PostgreSQL · token by hash · pg named prepared statement",
      run: () =>
        raw.query({
          name: "token-by-hash",
          text: 'SELECT * FROM "access_tokens" WHERE "hash" = $1',
          values: [known.hash],
        }),
    },
    {
      name: "PostgreSQL · insert token · Prisma create",
      run: (i) => prisma.accessToken.create({ data: token(i, "prisma") }),
    },
    {
      name: "PostgreSQL · insert token · pg named prepared statement",
      run: (i) => {
        const t = token(i, "raw");
        return raw.query({
          name: "insert-token",
          text: 'INSERT INTO "access_tokens" ("hash","grantId","clientId","subject","scopes","extra","issuedAt","expiresAt") VALUES ($1,$2,$3,$4,$5,$6,$7,$8)',
          values: [t.hash, t.grantId, t.clientId, t.subject, t.scopes, t.extra, t.issuedAt, t.expiresAt],
        });
      },
    },
  ];
  const results: Timing[] = [];
  for (const c of cases) results.push(await time(c));
  await raw.end();
  await prisma.$disconnect();
  return results;
}

async function main() {
  const results = [...(await sqlite()), ...(await postgres())];
  const name = Math.max(...results.map((r) => r.name.length));
  const fmt = (n: number) => n.toFixed(0).padStart(7);
  const lines = [
    "",
    `One query at a time, ${iterations} iterations after a warm-up (µs per query):`,
    "",
    `${"case".padEnd(name)}  ${"mean".padStart(7)}  ${"p50".padStart(7)}  ${"p99".padStart(7)}  ${"CPU".padStart(7)}`,
    ...results.map(
      (r) => `${r.name.padEnd(name)}  ${fmt(r.meanUs)}  ${fmt(r.p50Us)}  ${fmt(r.p99Us)}  ${fmt(r.cpuUs)}`,
    ),
    "",
    "CPU = user + system time of this process per query (the database server's own time is not in it).",
    "",
  ];
  process.stdout.write(lines.join("\n"));
}

main().catch((error: unknown) => {
  process.stderr.write(`prisma-overhead: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
