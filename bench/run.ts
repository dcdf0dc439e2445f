/**
 * `npm run bench`: Portico (production start, BCRYPT_COST=10, WORKERS
 * processes) and panva's oidc-provider (bench/peer.ts, as many processes)
 * side by side on 127.0.0.1, driven by autocannon with the same load,
 * alternating which goes first per scenario so machine drift hits both.
 * Prints one table and writes it as JSON to bench/results/<timestamp>.json.
 *
 * Environment:
 *   BENCH_SECONDS (8)     measured seconds per scenario and server, split into
 *   BENCH_ROUNDS (2)      rounds run in the order A B B A … (A alternating per scenario)
 *   BENCH_WARMUP (2)      discarded warm-up seconds before each measurement
 *   BENCH_CONNECTIONS (50)
 *   BENCH_WORKERS (cores) processes per server
 *   BENCH_FLOW_CONCURRENCY (8) concurrent authorization-code flows
 *   BENCH_DATABASE (sqlite) or postgresql, with BENCH_POSTGRES_URL
 *     (postgresql://app:app@127.0.0.1:5432/app_bench; created when missing,
 *     recreated when its name contains "bench" unless BENCH_RESET=0)
 *   BENCH_BUILD (auto)    auto: `next build` when .next/BUILD_ID is missing; 0: never
 *   BENCH_ONLY            comma-separated scenario keys to run (cc,introspect,discovery,jwks,client,flow,sso,interactive)
 *   BENCH_SERVER_ENV      extra environment for Portico, "NAME=value,NAME=value"
 *
 * A benchmark, not a test: it is not part of `npm test`, and an endpoint that
 * is not there yet (404) becomes an "n/a" row rather than a failure.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { hashPassword } from "@/lib/users/passwords.ts";
import { freePorts } from "@/tests/support/ports.ts";
import type { Browser } from "./lib/browser.ts";
import { authorizationCodeFlow, basicAuth, FlowError } from "./lib/flow.ts";
import {
  combine,
  type LoadSettings,
  type Measurement,
  measureHttp,
  measureLoop,
  type Target,
  warmUp,
} from "./lib/load.ts";
import { fetchKeys, interactiveFlow, type OidcSide, type Person, ssoFlow } from "./lib/oidc-flows.ts";
import { createPorticoUser, porticoFixtures, startPorticoProcess } from "./lib/portico.ts";
import { codeVersion, loadAverage, processRss } from "./lib/proc.ts";
import { countMatches, launch, type Managed, preparePostgres, waitUntil } from "./lib/servers.ts";

const env = process.env;
const ROOT = process.cwd();
const seconds = Number(env.BENCH_SECONDS ?? 8);
const warmupSeconds = Number(env.BENCH_WARMUP ?? 2);
const connections = Number(env.BENCH_CONNECTIONS ?? 50);
const workers = Number(env.BENCH_WORKERS ?? availableParallelism());
const flowConcurrency = Number(env.BENCH_FLOW_CONCURRENCY ?? 8);
const backend = env.BENCH_DATABASE === "postgresql" ? "postgresql" : "sqlite";
const postgresUrl = env.BENCH_POSTGRES_URL ?? "postgresql://app:app@127.0.0.1:5432/app_bench";
const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(",").map((key) => key.trim())) : undefined;
const roundCount = Math.max(1, Number(env.BENCH_ROUNDS ?? 2));
const settings: LoadSettings = { connections, seconds, warmupSeconds };

const log = (line: string) => process.stderr.write(`${line}\n`);

type Side = "portico" | "peer";

interface Row {
  scenario: string;
  key: string;
  server: Side;
  unit: "req/s" | "flows/s";
  /** Set when the row was not measured, with the reason. */
  na?: string;
  measurement?: Measurement;
  /** Portico's rate over the peer's, on Portico's row. */
  ratio?: number;
  note?: string;
}

/** One side of a scenario: what to load, and how to tell it works before loading it. */
interface Leg {
  target: Target;
  check(response: Response): Promise<string | undefined>;
}

interface Scenario {
  key: string;
  name: string;
  portico?: Leg;
  peer?: Leg;
}

const expectStatus =
  (status: number, extra?: (body: string) => string | undefined) =>
  async (response: Response): Promise<string | undefined> => {
    const body = await response.text();
    if (response.status === 404) return "n/a (endpoint not available)";
    if (response.status !== status) return `n/a (probe answered ${response.status}: ${body.slice(0, 120)})`;
    return extra?.(body);
  };

const activeToken = (body: string) => {
  try {
    return (JSON.parse(body) as { active?: boolean }).active === true
      ? undefined
      : `n/a (probe: token not active: ${body.slice(0, 120)})`;
  } catch {
    return `n/a (probe: not JSON: ${body.slice(0, 120)})`;
  }
};

async function probe(leg: Leg): Promise<string | undefined> {
  const { url, method = "GET", headers = {}, body } = leg.target;
  try {
    return await leg.check(await fetch(url, { method, headers, body, redirect: "manual" }));
  } catch (error) {
    return `n/a (probe failed: ${error instanceof Error ? error.message : String(error)})`;
  }
}

async function build(): Promise<void> {
  if (env.BENCH_BUILD === "0" || existsSync(join(ROOT, ".next", "BUILD_ID"))) return;
  log("# building the pages (next build) …");
  const builder = launch([join(ROOT, "node_modules/next/dist/bin/next"), "build"], {
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: "production",
  });
  const code = await new Promise<number | null>((resolve) => builder.child.once("exit", resolve));
  if (code !== 0) {
    log(`# next build failed (exit ${code}); Portico serves the API only:\n${builder.output().slice(-1500)}`);
  }
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadAverage();
  await build();

  // --- databases -----------------------------------------------------------------------------
  let databaseUrl: string;
  let tempDir: string | undefined;
  let databaseNote: string;
  let postgresDatabase: string | undefined;
  if (backend === "postgresql") {
    const what = await preparePostgres(postgresUrl, env.BENCH_RESET !== "0");
    databaseUrl = postgresUrl;
    postgresDatabase = decodeURIComponent(new URL(postgresUrl).pathname.slice(1));
    databaseNote = `PostgreSQL ${new URL(postgresUrl).pathname.slice(1)} (${what})`;
  } else {
    tempDir = mkdtempSync(join(tmpdir(), "portico-bench-"));
    databaseUrl = `file:${join(tempDir, "portico.db")}`;
    databaseNote = "SQLite, fresh file";
  }

  // --- servers ---------------------------------------------------------------------------------
  const [porticoPort, porticoAdminPort, peerPort] = (await freePorts(3)) as [number, number, number];
  const portico = `http://127.0.0.1:${porticoPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const servers: Managed[] = [];
  const cleanup = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

  try {
    log(`# starting Portico (${workers} worker${workers === 1 ? "" : "s"}, ${databaseNote}) …`);
    const porticoProcess = await startPorticoProcess({
      port: porticoPort,
      adminPort: porticoAdminPort,
      databaseUrl,
      workers,
    });
    const porticoServer = porticoProcess.server;
    servers.push(porticoServer);

    const clientSecret = randomBytes(24).toString("base64url");
    const seedToken = randomBytes(32).toString("base64url");
    // The SSO person remembers their decision; the interactive people never do (so the consent page
    // is shown on every interactive flow on both sides). One interactive person per flow in flight:
    // people sign in one at a time each, and Portico counts an attempt against the account from the
    // moment it starts (sign-in throttling), so one account signing in 8 times at once would be slowed.
    const person = (id: string) => ({
      id,
      email: `${id}@example.com`,
      password: randomBytes(12).toString("base64url"),
    });
    const interactivePeople = Array.from({ length: flowConcurrency }, (_, i) =>
      person(`bench-interactive-${i}`),
    );
    let nextInteractive = 0;
    const interactivePerson = () => interactivePeople[nextInteractive++ % interactivePeople.length] as Person;
    const people = {
      sso: person("bench-sso"),
      ...Object.fromEntries(interactivePeople.map((p) => [p.id, p])),
    };
    const peerFlowClient = {
      id: "bench-flow",
      secret: randomBytes(24).toString("base64url"),
      redirectUri: "http://127.0.0.1:9/bench/callback",
      scope: "openid",
    };
    let peerStore: string;
    if (backend === "postgresql") {
      const peerDatabase = new URL(postgresUrl);
      peerDatabase.pathname = `${peerDatabase.pathname}_peer`;
      await preparePostgres(peerDatabase.toString(), true);
      peerStore = peerDatabase.toString();
    } else {
      peerStore = `file:${join(tempDir ?? tmpdir(), "peer.db")}`;
    }
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    log(`# starting oidc-provider (${workers} worker${workers === 1 ? "" : "s"}) …`);
    const peerServer = launch(["--import", "tsx", "bench/peer.ts"], {
      NODE_ENV: "production",
      PEER_PORT: String(peerPort),
      PEER_HOST: "127.0.0.1",
      PEER_WORKERS: String(workers),
      PEER_JWK: JSON.stringify(privateKey.export({ format: "jwk" })),
      PEER_CLIENT_ID: "bench",
      PEER_CLIENT_SECRET: clientSecret,
      PEER_SEED_TOKEN: seedToken,
      PEER_STORE: peerStore,
      PEER_FLOW_CLIENT: JSON.stringify(peerFlowClient),
      PEER_USERS: JSON.stringify(
        await Promise.all(
          Object.values(people).map(async ({ id, email, password }) => ({
            id,
            email,
            passwordHash: await hashPassword(password),
          })),
        ),
      ),
    });
    servers.push(peerServer);
    await waitUntil(
      "oidc-provider",
      peerServer,
      async () =>
        countMatches(peerServer.output(), "peer listening") >= workers &&
        (await fetch(`${peer}/.well-known/openid-configuration`)).ok,
    );

    // --- Portico's fixtures --------------------------------------------------------------------
    const { rootToken, introspected, flowClient } = await porticoFixtures(porticoProcess, clientSecret);
    for (const person of Object.values(people)) await createPorticoUser(databaseUrl, person);
    const sides: Record<Side, OidcSide> = {
      portico: {
        issuer: portico,
        authorizePath: "/oauth2/auth",
        tokenPath: "/oauth2/token",
        client: flowClient,
        keys: await fetchKeys(`${portico}/.well-known/jwks.json`),
      },
      peer: {
        issuer: peer,
        authorizePath: "/auth",
        tokenPath: "/token",
        client: peerFlowClient,
        keys: await fetchKeys(`${peer}/jwks`),
      },
    };

    // --- scenarios -----------------------------------------------------------------------------
    const basic = basicAuth("bench", clientSecret);
    const form = { authorization: basic, "content-type": "application/x-www-form-urlencoded" };
    const ccBody = "grant_type=client_credentials&scope=read";
    const scenarios: Scenario[] = [
      {
        key: "cc",
        name: "client_credentials token (Basic)",
        portico: {
          target: { url: `${portico}/oauth2/token`, method: "POST", headers: form, body: ccBody },
          check: expectStatus(200),
        },
        peer: {
          target: { url: `${peer}/token`, method: "POST", headers: form, body: ccBody },
          check: expectStatus(200),
        },
      },
      {
        key: "introspect",
        name: "introspection (active token)",
        portico: {
          target: {
            url: `${portico}/oauth2/introspect`,
            method: "POST",
            headers: form,
            body: `token=${introspected}`,
          },
          check: expectStatus(200, activeToken),
        },
        peer: {
          target: {
            url: `${peer}/token/introspection`,
            method: "POST",
            headers: form,
            body: `token=${seedToken}`,
          },
          check: expectStatus(200, activeToken),
        },
      },
      {
        key: "discovery",
        name: "discovery",
        portico: { target: { url: `${portico}/.well-known/openid-configuration` }, check: expectStatus(200) },
        peer: { target: { url: `${peer}/.well-known/openid-configuration` }, check: expectStatus(200) },
      },
      {
        key: "jwks",
        name: "JWKS",
        portico: { target: { url: `${portico}/.well-known/jwks.json` }, check: expectStatus(200) },
        peer: { target: { url: `${peer}/jwks` }, check: expectStatus(200) },
      },
      {
        key: "client",
        name: "GET /clients/{id} (root token)",
        portico: {
          target: { url: `${portico}/clients/bench`, headers: { authorization: `Bearer ${rootToken}` } },
          check: expectStatus(200),
        },
      },
    ];

    const rows: Row[] = [];
    const porticoPid = porticoServer.pid;
    const pidOf: Record<Side, number> = { portico: porticoPid, peer: peerServer.pid };
    let index = 0;
    for (const scenario of scenarios) {
      if (only && !only.has(scenario.key)) continue;
      // Who goes first alternates per scenario; within one, rounds go A B B A …
      const first: Side[] = index++ % 2 === 0 ? ["portico", "peer"] : ["peer", "portico"];
      const measured: Partial<Record<Side, Row>> = {};
      const rounds: Partial<Record<Side, Measurement[]>> = {};
      for (const side of first) {
        const leg = scenario[side];
        if (!leg) continue;
        const row: Row = { scenario: scenario.name, key: scenario.key, server: side, unit: "req/s" };
        const na = await probe(leg);
        if (na) row.na = na;
        else rounds[side] = [];
        measured[side] = row;
      }
      for (const side of first) {
        const leg = scenario[side];
        if (leg && rounds[side]) await warmUp(leg.target, settings);
      }
      for (let round = 0; round < roundCount; round++) {
        const order = round % 2 === 0 ? first : [...first].reverse();
        for (const side of order) {
          const leg = scenario[side];
          if (!leg || !rounds[side]) continue;
          const database = side === "portico" ? postgresDatabase : undefined;
          const perRound = { ...settings, seconds: seconds / roundCount, warmupSeconds: 0 };
          rounds[side].push(await measureHttp(leg.target, perRound, pidOf[side], database));
        }
      }
      for (const side of first) {
        const row = measured[side];
        const done = rounds[side];
        if (!row) continue;
        if (done) row.measurement = combine(done);
        log(`# ${scenario.name} · ${side}: ${row.na ?? `${Math.round(row.measurement?.rate ?? 0)} req/s`}`);
      }
      const p = measured.portico;
      const q = measured.peer;
      if (p?.measurement && q?.measurement && q.measurement.rate > 0) {
        p.ratio = p.measurement.rate / q.measurement.rate;
      }
      if (p) rows.push(p);
      if (q) rows.push(q);
    }

    if (!only || only.has("flow")) {
      const row: Row = {
        scenario: "authorization-code flow",
        key: "flow",
        server: "portico",
        unit: "flows/s",
      };
      const flow = () =>
        authorizationCodeFlow({
          client: flowClient,
          consentToken: rootToken,
          subject: "bench-user",
          routes: { auth: portico, consent: portico, callback: portico, token: portico },
        });
      try {
        await flow();
      } catch (error) {
        row.na =
          error instanceof FlowError && error.status === 404
            ? `n/a (endpoint not available: ${error.step})`
            : `n/a (${error instanceof Error ? error.message.slice(0, 160) : String(error)})`;
      }
      if (!row.na) {
        const { measurement, firstError } = await measureLoop(
          flow,
          { concurrency: flowConcurrency, seconds, warmupSeconds },
          porticoPid,
          postgresDatabase,
        );
        row.measurement = measurement;
        row.note = `${flowConcurrency} concurrent flows, 5 requests each`;
        if (firstError) {
          row.note += `; first error: ${firstError instanceof Error ? firstError.message.slice(0, 160) : String(firstError)}`;
        }
      }
      log(`# ${row.scenario}: ${row.na ?? `${(row.measurement?.rate ?? 0).toFixed(1)} flows/s`}`);
      rows.push(row);
    }

    // --- sign-in flows through the pages, both sides ----------------------------------------------
    const flowScenarios = [
      { key: "sso", name: "SSO flow (signed in, remembered decision)" },
      { key: "interactive", name: "interactive flow (sign-in + consent pages)" },
    ] as const;
    for (const scenario of flowScenarios) {
      if (only && !only.has(scenario.key)) continue;
      const first: Side[] = index++ % 2 === 0 ? ["portico", "peer"] : ["peer", "portico"];
      const legs: Partial<Record<Side, { once: () => Promise<unknown>; requests: number }>> = {};
      const measured: Partial<Record<Side, Row>> = {};
      for (const side of first) {
        const row: Row = { scenario: scenario.name, key: scenario.key, server: side, unit: "flows/s" };
        measured[side] = row;
        try {
          if (scenario.key === "interactive") {
            const { requests } = await interactiveFlow(sides[side], interactivePerson());
            legs[side] = { once: () => interactiveFlow(sides[side], interactivePerson()), requests };
          } else {
            // One signed-in browser per concurrent loop, each with "Remember me" and a remembered decision.
            const pool: Browser[] = [];
            for (let i = 0; i < flowConcurrency; i++) {
              pool.push((await interactiveFlow(sides[side], people.sso, true)).browser);
            }
            const probeBrowser = pool[0] as Browser;
            const { requests } = await ssoFlow(sides[side], probeBrowser);
            legs[side] = {
              requests,
              once: async () => {
                const browser = pool.pop() as Browser;
                try {
                  await ssoFlow(sides[side], browser);
                } finally {
                  pool.push(browser);
                }
              },
            };
          }
        } catch (error) {
          row.na = `n/a (${error instanceof Error ? error.message.slice(0, 200) : String(error)})`;
        }
      }
      const rounds: Partial<Record<Side, Measurement[]>> = {};
      const errors: Partial<Record<Side, unknown>> = {};
      for (let round = 0; round < roundCount; round++) {
        const order = round % 2 === 0 ? first : [...first].reverse();
        for (const side of order) {
          const leg = legs[side];
          if (!leg) continue;
          const { measurement, firstError } = await measureLoop(
            leg.once,
            {
              concurrency: flowConcurrency,
              seconds: seconds / roundCount,
              warmupSeconds: round === 0 ? warmupSeconds : 0,
            },
            pidOf[side],
            side === "portico" ? postgresDatabase : undefined,
          );
          rounds[side] = [...(rounds[side] ?? []), measurement];
          errors[side] ??= firstError;
        }
      }
      for (const side of first) {
        const row = measured[side] as Row;
        const done = rounds[side];
        const leg = legs[side];
        if (done && leg) {
          row.measurement = combine(done);
          row.note = `${flowConcurrency} concurrent flows, ${leg.requests} HTTP requests each (browser + token)`;
          const firstError = errors[side];
          if (firstError) {
            row.note += `; first error: ${firstError instanceof Error ? firstError.message.slice(0, 160) : String(firstError)}`;
          }
        }
        log(
          `# ${scenario.name} · ${side}: ${row.na ?? `${(row.measurement?.rate ?? 0).toFixed(1)} flows/s`}`,
        );
      }
      const p = measured.portico;
      const q = measured.peer;
      if (p?.measurement && q?.measurement && q.measurement.rate > 0) {
        p.ratio = p.measurement.rate / q.measurement.rate;
      }
      if (p) rows.push(p);
      if (q) rows.push(q);
    }

    const memory = { portico: processRss(porticoPid), peer: processRss(peerServer.pid) };

    // --- report --------------------------------------------------------------------------------
    const notes = [
      `Both servers run ${workers} process(es) on 127.0.0.1; autocannon (${connections} connections, ` +
        `${warmupSeconds} s warm-up, ${seconds} s measured) runs in this process on the same machine, so it competes for the same cores.`,
      `Each scenario is measured in ${roundCount} round(s) per server in the order A B B A … (A = Portico for the 1st, 3rd, … scenario, the peer for the others), after one warm-up per server, so drift hits both sides; rates are totals over the rounds, p50/p99 request-weighted means of the rounds' percentiles.`,
      "req/s counts 2xx answers only; errors = socket errors + timeouts + non-2xx answers.",
      "CPU µs/op is the user + system CPU time of the server's processes (from /proc) per successful request or flow: unlike req/s it hardly depends on what else the machine is doing." +
        (backend === "postgresql"
          ? " On PostgreSQL, '+ N db' is the CPU time of the PostgreSQL backends serving the bench database (shared WAL writer and checkpointer left out), which share the same cores."
          : ""),
      `1-minute load average: ${loadBefore.toFixed(2)} at the start, ${loadAverage().toFixed(2)} at the end (on ${availableParallelism()} cores; ` +
        "well above the cores means other processes took a share of the CPU and the rates are low for both sides).",
      "Peak RSS is the largest sum of VmRSS over the server's processes (primary + workers) sampled every 200 ms during the measurement; Portico's processes also hold Next.js (the pages) when it is built.",
      "Portico keeps BCRYPT_COST=10 and its database; oidc-provider compares client secrets in plain text and keeps tokens in memory.",
      "oidc-provider's in-memory store is per process (and an LRU of 1,000 entries): every peer worker saves the same ClientCredentials token at start and keeps it pinned, so the introspection scenario hits a known token on whichever worker the connection lands on — what a shared store would give. Portico introspects a token issued through its API, stored in its database and visible to every worker.",
      "The SSO and interactive flows drive both servers' real pages through a browser without JavaScript (fetch, a cookie jar, redirects followed one by one, HTML forms submitted with their hidden fields): authorization request (code, PKCE S256, state, nonce) → sign-in form (email, password; argon2id with the same parameters on both sides) → consent form (Allow) → redirect to the client → token exchange → ID token verified (signature, iss, aud, nonce). SSO: a browser that signed in with Remember me and a remembered decision asks again, and no page is shown. The peer's pages are a small interaction app on oidc-provider's documented interaction API (bench/lib/peer-interactions.ts: CSRF token, Origin check, plain HTML); its sessions, interactions, grants and codes are in a store its workers share (bench/lib/peer-store.ts, the same database kind as Portico's), since its in-memory store is per process.",
      "The API-driven flow runs in this process with fetch and a cookie jar: GET /oauth2/auth → (read the consent id from the redirect to CONSENT_URL; the consent page itself is not fetched) → GET and PATCH …/accept on /oauth2/consent/requests/{id} with a hydra.consent token → GET redirectUrl with the cookie → POST /oauth2/token (authorization_code, PKCE S256, scope openid).",
    ];
    const result = {
      startedAt: started.toISOString(),
      machine: machine(),
      code: codeVersion(),
      config: { seconds, warmupSeconds, connections, workers, flowConcurrency, backend, bcryptCost: 10 },
      rows,
      memory,
      notes,
    };
    printTable(result);
    const dir = join(ROOT, "bench", "results");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`# written to ${file}`);
  } finally {
    await cleanup();
  }
}

function printTable(result: {
  machine: ReturnType<typeof machine>;
  code: ReturnType<typeof codeVersion>;
  config: Record<string, unknown>;
  rows: Row[];
  memory: Record<Side, Array<{ pid: number; role: string; rssBytes: number }>>;
  notes: string[];
}): void {
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const header = [
    "scenario",
    "server",
    "rate",
    "p50 ms",
    "p99 ms",
    "errors",
    "peak RSS MB",
    "CPU µs/op",
    "Portico/peer",
  ];
  const lines = result.rows.map((row) => {
    const m = row.measurement;
    const server = row.server === "portico" ? "Portico" : "oidc-provider";
    if (!m) return [row.scenario, server, row.na ?? "n/a", "", "", "", "", "", ""];
    return [
      row.scenario,
      server,
      `${fmt(m.rate, row.unit === "flows/s" ? 1 : 0)} ${row.unit}`,
      fmt(m.p50, 1),
      fmt(m.p99, 1),
      fmt(m.errors),
      fmt(m.peakRssBytes / 2 ** 20),
      m.databaseCpuUsPerOp === undefined
        ? fmt(m.cpuUsPerOp)
        : `${fmt(m.cpuUsPerOp)} + ${fmt(m.databaseCpuUsPerOp)} db`,
      row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}×`,
    ];
  });
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i]?.length ?? 0)),
  );
  const right = new Set([2, 3, 4, 5, 6, 7, 8]);
  const render = (cells: string[]) =>
    `| ${cells.map((cell, i) => (right.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const { machine: m, config, code } = result;
  const dirty = code.uncommitted.length > 0 ? ` + uncommitted changes to ${code.uncommitted.join(", ")}` : "";
  const out = [
    "",
    `Portico vs oidc-provider — ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; ` +
      `${config.workers} worker(s) each, ${config.backend}, ${config.connections} connections, ${config.seconds} s per run`,
    `Portico at ${code.commit}${dirty}`,
    "",
    render(header),
    `|${widths.map((w, i) => (right.has(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`,
    ...lines.map(render),
    "",
    ...result.rows.filter((row) => row.note).map((row) => `- ${row.scenario} · ${row.server}: ${row.note}`),
    "",
    "Memory after the run (RSS of every process):",
    "",
    "| server | process | pid | RSS MB |",
    "|---|---|---:|---:|",
    ...(["portico", "peer"] as const).flatMap((side) => {
      const list = result.memory[side];
      const name = side === "portico" ? "Portico" : "oidc-provider";
      const total = list.reduce((sum, p) => sum + p.rssBytes, 0);
      return [
        ...list.map((p) => `| ${name} | ${p.role} | ${p.pid} | ${fmt(p.rssBytes / 2 ** 20)} |`),
        `| ${name} | **total** | | **${fmt(total / 2 ** 20)}** |`,
      ];
    }),
    "",
    ...result.notes.map((note) => `- ${note}`),
    "",
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
