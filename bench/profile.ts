/**
 * `npm run bench:profile`: where a hot path's time goes. For each scenario,
 * starts Portico with ONE worker (WORKERS=1: the primary serves, so one
 * profile covers the server) under `node --cpu-prof`, drives the path with
 * autocannon, stops the server and summarises the samples taken during the
 * measured window only (startup, migrations and warm-up are left out): self
 * time by package and the top frames.
 *
 * Scenarios: cc, introspect, client, discovery, jwks, flow (a whole
 * authorization-code flow through the API per iteration, 8 at a time; "per
 * request" then means per flow), sso and interactive (the sign-in flows
 * through the pages, as `npm run bench` runs them).
 *
 * Environment: PROFILE_SCENARIOS (cc,introspect,client), PROFILE_SECONDS (10),
 * PROFILE_WARMUP (2), PROFILE_CONNECTIONS (50), PROFILE_TOP (25),
 * BENCH_DATABASE / BENCH_POSTGRES_URL / BENCH_SERVER_ENV as for `npm run bench`.
 * The main thread's profile of each scenario is kept as
 * bench/results/profile-<timestamp>-<scenario>.cpuprofile.json (ignored by
 * git; open it in Chrome DevTools → Performance, or speedscope).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import autocannon from "autocannon";
import { freePorts } from "@/tests/support/ports.ts";
import type { Browser } from "./lib/browser.ts";
import { authorizationCodeFlow, basicAuth } from "./lib/flow.ts";
import { measureLoop } from "./lib/load.ts";
import { fetchKeys, interactiveFlow, type OidcSide, ssoFlow } from "./lib/oidc-flows.ts";
import { createPorticoUser, porticoFixtures, startPorticoProcess } from "./lib/portico.ts";
import { codeVersion, cpuMeter, loadAverage, postgresBackendsMeter } from "./lib/proc.ts";
import { preparePostgres } from "./lib/servers.ts";

const env = process.env;
const ROOT = process.cwd();
const scenarios = (env.PROFILE_SCENARIOS ?? "cc,introspect,client").split(",").map((s) => s.trim());
const seconds = Number(env.PROFILE_SECONDS ?? 10);
const warmup = Number(env.PROFILE_WARMUP ?? 2);
const connections = Number(env.PROFILE_CONNECTIONS ?? 50);
const top = Number(env.PROFILE_TOP ?? 25);
const backend = env.BENCH_DATABASE === "postgresql" ? "postgresql" : "sqlite";
const postgresUrl = env.BENCH_POSTGRES_URL ?? "postgresql://app:app@127.0.0.1:5432/app_bench";
const postgresDatabase = decodeURIComponent(new URL(postgresUrl).pathname.slice(1));

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The package (or project file, or Node internal) a frame belongs to. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return url.startsWith("node:internal/") ? "node:internal" : url;
  if (url.startsWith("wasm://")) return "wasm";
  const path = url.replace(/^file:\/\//, "");
  const at = path.lastIndexOf("/node_modules/");
  if (at >= 0) {
    const parts = path.slice(at + "/node_modules/".length).split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
  }
  return relative(ROOT, path);
}

function frameName(frame: CallFrame): string {
  const where = frame.url ? `${packageOf(frame)}:${frame.lineNumber + 1}` : "";
  return `${frame.functionName || "(anonymous)"} ${where}`.trim();
}

/**
 * Where a sample's time goes: the category of the frame nearest the leaf that
 * belongs to one (Node internals called by Prisma count as database, those
 * called by Portico's code as Portico's, and so on).
 */
const CATEGORIES: Array<[string, (pkg: string) => boolean]> = [
  [
    "database: Prisma client + adapter + driver",
    (pkg) => pkg.startsWith("@prisma/") || pkg === "better-sqlite3" || pkg === "pg" || pkg === "wasm",
  ],
  ["bcrypt", (pkg) => pkg === "@node-rs/bcrypt"],
  ["JOSE (signing, key import)", (pkg) => pkg === "jose"],
  ["garbage collection", (pkg) => pkg === "(garbage collector)"],
  [
    "Hono + @hono/node-server (routing, Request/Response)",
    (pkg) => pkg === "hono" || pkg === "@hono/node-server",
  ],
  ["zod", (pkg) => pkg === "zod"],
  ["Portico's own code", (pkg) => pkg.startsWith("server/") || pkg.startsWith("db/")],
];
const OTHER = "Node.js (HTTP, streams, event loop) and the rest";

/**
 * Self time per frame and per package for the samples between `fromMs` and
 * `toMs` (wall clock), mapping profile time to wall time through the moment
 * the profile ended (`endWallMs`, when the process exited).
 */
export function summarise(profile: CpuProfile, window: { fromMs: number; toMs: number; endWallMs: number }) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const categoryCache = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const cached = categoryCache.get(id);
    if (cached) return cached;
    let found = OTHER;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      const pkg = node ? packageOf(node.callFrame) : "";
      const match = CATEGORIES.find(([, test]) => test(pkg));
      if (match) {
        found = match[0];
        break;
      }
    }
    categoryCache.set(id, found);
    return found;
  };
  const categories = new Map<string, number>();
  const frames = new Map<string, number>();
  const packages = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    const wall = window.endWallMs - (profile.endTime - t) / 1000;
    if (wall < window.fromMs || wall > window.toMs) continue;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    if (node.callFrame.functionName === "(idle)") {
      idle += delta;
      continue;
    }
    total += delta;
    const name = frameName(node.callFrame);
    frames.set(name, (frames.get(name) ?? 0) + delta);
    const pkg = packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + delta);
    const category = categoryOf(node.id);
    categories.set(category, (categories.get(category) ?? 0) + delta);
  }
  const ranked = (map: Map<string, number>) =>
    [...map].sort((x, y) => y[1] - x[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return {
    busyMs: total / 1000,
    idleMs: idle / 1000,
    categories: ranked(categories),
    frames: ranked(frames),
    packages: ranked(packages),
  };
}

interface LoadResult {
  rate: number;
  cpuUsPerRequest: number;
  databaseCpuUsPerRequest?: number;
  non2xx: number;
  p50: number;
  p99: number;
}

function finish(
  scenario: string,
  profileDir: string,
  window: { fromMs: number; toMs: number; endWallMs: number },
  load: LoadResult,
) {
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is a process's main thread. The
  // short-lived setup child (migrations, bootstrap) writes one too; the serving process's is the largest.
  const file = readdirSync(profileDir)
    .filter((name) => name.endsWith(".cpuprofile") && name.split(".")[4] === "0")
    .sort((a, b) => statSync(join(profileDir, b)).size - statSync(join(profileDir, a)).size)[0];
  if (!file) throw new Error(`no main-thread .cpuprofile written in ${profileDir}`);
  const kept = `${keptPrefix}-${scenario}.cpuprofile.json`;
  copyFileSync(join(profileDir, file), kept);
  const profile = JSON.parse(readFileSync(kept, "utf8")) as CpuProfile;
  return { scenario, ...load, profile: kept, ...summarise(profile, window) };
}

const resultsDir = join(ROOT, "bench", "results");
const keptPrefix = join(resultsDir, `profile-${new Date().toISOString().replace(/[:.]/g, "-")}`);

async function profileScenario(scenario: string) {
  let databaseUrl: string;
  let tempDir: string | undefined;
  if (backend === "postgresql") {
    await preparePostgres(postgresUrl, env.BENCH_RESET !== "0");
    databaseUrl = postgresUrl;
  } else {
    tempDir = mkdtempSync(join(tmpdir(), "portico-profile-"));
    databaseUrl = `file:${join(tempDir, "portico.db")}`;
  }
  const profileDir = mkdtempSync(join(tmpdir(), `portico-cpu-prof-${scenario}-`));
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const portico = await startPorticoProcess({
    port,
    adminPort,
    databaseUrl,
    workers: 1,
    nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
  });
  try {
    const fixtures = await porticoFixtures(portico);
    const form = {
      authorization: basicAuth(fixtures.client.id, fixtures.client.secret),
      "content-type": "application/x-www-form-urlencoded",
    };
    const targets: Record<
      string,
      { url: string; method: string; headers: Record<string, string>; body?: string }
    > = {
      cc: {
        url: `${portico.url}/oauth2/token`,
        method: "POST",
        headers: form,
        body: "grant_type=client_credentials&scope=read",
      },
      introspect: {
        url: `${portico.url}/oauth2/introspect`,
        method: "POST",
        headers: form,
        body: `token=${fixtures.introspected}`,
      },
      client: {
        url: `${portico.url}/clients/${fixtures.client.id}`,
        method: "GET",
        headers: { authorization: `Bearer ${fixtures.rootToken}` },
      },
      discovery: { url: `${portico.url}/.well-known/openid-configuration`, method: "GET", headers: {} },
      jwks: { url: `${portico.url}/.well-known/jwks.json`, method: "GET", headers: {} },
    };
    if (scenario === "flow" || scenario === "sso" || scenario === "interactive") {
      const side: OidcSide = {
        issuer: portico.url,
        authorizePath: "/oauth2/auth",
        tokenPath: "/oauth2/token",
        client: fixtures.flowClient,
        keys: await fetchKeys(`${portico.url}/.well-known/jwks.json`),
      };
      // One person per flow in flight: sign-in throttling counts an attempt against the account from
      // the moment it starts, so one account signing in 8 times at once is refused some of them.
      const people = Array.from({ length: 8 }, (_, i) => ({
        email: `bench-person-${i}@example.com`,
        password: "bench person password",
      }));
      if (scenario !== "flow") for (const person of people) await createPorticoUser(databaseUrl, person);
      const person = people[0] as (typeof people)[number];
      const pool: Browser[] = [];
      if (scenario === "sso") {
        for (let i = 0; i < 8; i++) pool.push((await interactiveFlow(side, person, true)).browser);
      }
      const flows: Record<string, () => Promise<unknown>> = {
        flow: () =>
          authorizationCodeFlow({
            client: fixtures.flowClient,
            consentToken: fixtures.rootToken,
            subject: "bench-user",
            routes: { auth: portico.url, consent: portico.url, callback: portico.url, token: portico.url },
          }),
        sso: async () => {
          const browser = pool.pop() as Browser;
          try {
            await ssoFlow(side, browser);
          } finally {
            pool.push(browser);
          }
        },
        interactive: async () => {
          const someone = people.pop() as (typeof people)[number];
          try {
            await interactiveFlow(side, someone);
          } finally {
            people.push(someone);
          }
        },
      };
      const flow = flows[scenario] as () => Promise<unknown>;
      await flow();
      await measureLoop(flow, { concurrency: 8, seconds: warmup, warmupSeconds: 0 }, portico.server.pid);
      const fromMs = Date.now();
      const { measurement } = await measureLoop(
        flow,
        { concurrency: 8, seconds, warmupSeconds: 0 },
        portico.server.pid,
      );
      const toMs = Date.now();
      await portico.server.stop();
      return finish(
        scenario,
        profileDir,
        { fromMs, toMs, endWallMs: Date.now() },
        {
          rate: measurement.rate,
          cpuUsPerRequest: measurement.cpuUsPerOp,
          non2xx: measurement.errors,
          p50: measurement.p50,
          p99: measurement.p99,
        },
      );
    }
    const target = targets[scenario];
    if (!target) throw new Error(`unknown scenario ${scenario}`);
    const probe = await fetch(target.url, {
      method: target.method,
      headers: target.headers,
      body: target.body,
    });
    if (!probe.ok) {
      process.stderr.write(`# ${scenario}: probe answered ${probe.status}; not profiled\n`);
      return undefined;
    }
    await autocannon({ ...target, connections, duration: warmup });
    const fromMs = Date.now();
    const cpu = cpuMeter(portico.server.pid);
    const database = backend === "postgresql" ? postgresBackendsMeter(postgresDatabase) : undefined;
    const result = await autocannon({ ...target, connections, duration: seconds });
    const cpuMs = cpu.stop();
    const databaseMs = database?.stop();
    const toMs = Date.now();
    await portico.server.stop();
    const endWallMs = Date.now();
    return finish(
      scenario,
      profileDir,
      { fromMs, toMs, endWallMs },
      {
        rate: result["2xx"] / result.duration,
        cpuUsPerRequest: (cpuMs * 1000) / Math.max(1, result["2xx"]),
        databaseCpuUsPerRequest:
          databaseMs === undefined ? undefined : (databaseMs * 1000) / Math.max(1, result["2xx"]),
        non2xx: result.non2xx,
        p50: result.latency.p50,
        p99: result.latency.p99,
      },
    );
  } finally {
    await portico.server.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  }
}

async function main() {
  mkdirSync(resultsDir, { recursive: true });
  const code = codeVersion();
  const dirty = code.uncommitted.length > 0 ? ` + uncommitted changes to ${code.uncommitted.join(", ")}` : "";
  process.stdout.write(
    `Portico at ${code.commit}${dirty}; 1-minute load average ${loadAverage().toFixed(2)}\n`,
  );
  for (const scenario of scenarios) {
    const summary = await profileScenario(scenario);
    if (!summary) continue;
    const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
    const lines = [
      "",
      `## ${scenario}: ${summary.rate.toFixed(summary.scenario === "flow" ? 1 : 0)} ${summary.scenario === "flow" ? "flows/s" : "req/s"} on one worker (p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, non-2xx ${summary.non2xx})`,
      `server CPU (user + system, from /proc): ${summary.cpuUsPerRequest.toFixed(0)} µs per request` +
        (summary.databaseCpuUsPerRequest === undefined
          ? "; "
          : ` + ${summary.databaseCpuUsPerRequest.toFixed(0)} µs in PostgreSQL backends; `) +
        `profiler: busy ${Math.round(summary.busyMs)} ms, idle ${Math.round(summary.idleMs)} ms of the ${seconds} s window`,
      `profile: ${relative(ROOT, summary.profile)}`,
      "",
      "time by category (the nearest categorised frame from the leaf up):",
      ...summary.categories.map((c) => `  ${pct(c.share).padStart(6)}  ${c.name}`),
      "",
      "self time by package:",
      ...summary.packages.slice(0, 14).map((p) => `  ${pct(p.share).padStart(6)}  ${p.name}`),
      "",
      `top ${top} frames by self time:`,
      ...summary.frames.slice(0, top).map((f) => `  ${pct(f.share).padStart(6)}  ${f.name}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
