/**
 * `npm start`. The primary parses the configuration, brings the database up
 * to date in a short-lived child (migrations and bootstrap: server/setup.ts),
 * then forks WORKERS processes that serve (server/serve.ts) and picks one of
 * them to purge expired flow state. It imports neither Prisma nor Next.js nor
 * the migration engine, so it stays small; with WORKERS=1 it serves itself.
 */

import { fork } from "node:child_process";
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { createLogger, describeError } from "@/common/log.ts";
import { databaseUnavailable } from "@/db/unavailable.ts";
import { type Config, ConfigError, loadConfig } from "./config/config.ts";
import { HOUSEKEEPING, READY, SETUP_FLAG, START_PROBLEM } from "./roles.ts";

/**
 * How a worker's memory is kept small (each holds Next.js and the API):
 * - the young generation at 8 MiB per semi-space instead of V8's 16: under load it otherwise
 *   holds ~32 MiB of short-lived request garbage per worker, for a few more (cheap) scavenges;
 * - glibc's mmap threshold pinned at 128 KiB: every sign-in hashes with argon2id (19 MiB) on a
 *   libuv thread, and with the default dynamic threshold glibc raises the threshold past that
 *   size after the first free, so later 19 MiB blocks come from per-thread arenas that keep
 *   the memory after the hash; pinned, they are mapped and unmapped each time;
 * - the old generation grown by at most 30 % over what a full collection left alive, and
 *   compacted on every full collection: the pages render lots of short-lived objects, some of
 *   which live through two scavenges (a request in flight) and land in the old generation.
 *   V8's default lets that generation grow to up to 4 times the live data before it collects,
 *   and a collection frees objects but keeps the fragmented pages: measured after the sign-in
 *   flows, 75-80 MB alive in a heap of 155-230 MB committed. With these, 90-100 MB committed, for
 *   more frequent (smaller) full collections. (--optimize-for-size keeps the heap as small but
 *   costs 30-50 % more CPU per flow: it also shrinks the young generation to 1 MiB.)
 * - two V8 platform threads instead of Node's four (--v8-pool-size=2): they compile and
 *   collect in the background and each allocates from its own glibc arena, which keeps what its
 *   largest job needed; a worker is one process per core. Measured after the sign-in flows
 *   (8 runs each): those arenas held 28 MB on average (9-44) with four, 16 MB (5-41) with two,
 *   for the same CPU per request and flow.
 * An operator's own flag on the command line (node --max-semi-space-size=16 dist/server/main.js)
 * wins over ours; with WORKERS=1 the primary serves and none applies.
 */
const WORKER_ENV = { MALLOC_MMAP_THRESHOLD_: "131072" };

const WORKER_V8_FLAGS = [
  "--max-semi-space-size=8",
  "--heap-growing-percent=30",
  "--compact-on-every-full-gc",
  "--v8-pool-size=2",
];

function workerExecArgv(): string[] {
  const named = (flag: string) => (flag.split("=")[0] as string).replace(/^--no-/, "--");
  const own = new Set(process.execArgv.map(named));
  return [...process.execArgv, ...WORKER_V8_FLAGS.filter((flag) => !own.has(named(flag)))];
}

/**
 * Runs this entry again as the setup child and waits for it; its output is ours. A stop asked for
 * meanwhile (SIGTERM, SIGINT) is passed on to it: migrations are transactional, so one cut short is
 * applied again by the next start, and the process exits 0 once the child is gone. Without it the
 * primary died at once and left the child to finish migrations and the bootstrap on its own — and to
 * print the new root client's secret, shown once, after whatever read the output had stopped.
 */
function runSetup(): Promise<void> {
  const entry = process.argv[1];
  if (!entry) return Promise.reject(new Error("cannot tell this program's entry point"));
  return new Promise((resolve, reject) => {
    let stopped = false;
    // Listening before the fork: a signal the moment the child exists must not kill this process.
    const stop = (signal: NodeJS.Signals) => {
      stopped = true;
      child.kill(signal);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    const child = fork(entry, [SETUP_FLAG], { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      if (stopped) process.exit(0);
      if (code === 0) resolve();
      // Exit 1 is the child's own main().catch, which wrote why; anything else (a signal) it could not.
      else
        reject(new SetupFailed(code === 1 ? "" : `migrations and bootstrap failed (exit ${code ?? signal})`));
    });
  });
}

/** Thrown when the setup child failed; an empty message: it has said why already. */
class SetupFailed extends Error {}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: "is in use by another process",
  EACCES: "may not be used by this user",
};

/**
 * One line for a start that failed because of the machine or the settings
 * rather than a defect — a port in use, a host that does not resolve, a
 * database that cannot be reached or opened — naming the variable to look at;
 * undefined for anything else, which is logged with its stack.
 */
function startProblem(error: unknown, config: Config | undefined): string | undefined {
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`;
  if (error instanceof SetupFailed) return error.message && `Portico could not start: ${error.message}`;
  if (!config || !(error instanceof Error)) return undefined;
  const { code, syscall, port, hostname, path } = error as NodeJS.ErrnoException & {
    port?: number;
    hostname?: string;
  };
  // db/migrate.ts's MigrationRefused (not imported: this process holds no database code).
  if (code === "MIGRATION_REFUSED") return `Portico could not start: ${error.message}`;
  if (syscall === "listen" || syscall === "bind") {
    const admin = port === config.adminPort;
    const host = admin ? config.adminHost : (config.host ?? "all interfaces");
    if (code === "EADDRNOTAVAIL")
      return `Portico could not start: ${admin ? "ADMIN_HOST" : "HOST"} ${host} is not an address of this machine`;
    if (code && LISTEN_PROBLEMS[code])
      return `Portico could not start: ${admin ? "ADMIN_PORT" : "PORT"} ${port} on ${host} ${LISTEN_PROBLEMS[code]}`;
  }
  // (A database host that does not resolve is DATABASE_URL's, below.)
  if (syscall === "getaddrinfo" && (hostname === config.host || hostname === config.adminHost)) {
    const name = hostname === config.adminHost ? "ADMIN_HOST" : "HOST";
    return `Portico could not start: ${name} ${hostname} does not resolve (${code})`;
  }
  const outage = databaseUnavailable(error);
  if (outage) return `Portico could not start: the database at DATABASE_URL cannot be used (${outage})`;
  // The SQLite file or its folder cannot be created, opened or made private (mode 0600).
  if (
    path &&
    code &&
    /^(EACCES|EPERM|EROFS|ENOENT|ENOTDIR|EISDIR)$/.test(code) &&
    config.databaseUrl.startsWith("file:")
  )
    return `Portico could not start: the SQLite file of DATABASE_URL cannot be used (${error.message})`;
  return undefined;
}

/** Set up once, then serve in WORKERS processes (default: one per core). */
async function main(): Promise<void> {
  const config = loadConfig();
  settings = config;

  if (process.argv.includes(SETUP_FLAG)) {
    const { setup } = await import("./setup.ts");
    await setup(config);
    // Done: a connection pool that lingers must not keep the child (and so the start) waiting.
    setTimeout(() => process.exit(0), 1000).unref();
    return;
  }
  if (cluster.isWorker) {
    const { serve } = await import("./serve.ts");
    return serve(config);
  }

  const log = createLogger(config.logLevel);
  await runSetup();

  const workers = config.workers ?? availableParallelism();
  if (workers === 1) {
    const { serve } = await import("./serve.ts");
    return serve(config);
  }
  const listened = new Set<number>();
  // Every worker meets the same port in use or unknown host: the first one's line is said, once.
  let startProblemSaid = false;
  let housekeeper: number | undefined;
  const pickHousekeeper = () => {
    if (housekeeper !== undefined && cluster.workers?.[housekeeper]) return;
    const next = [...listened].map((id) => cluster.workers?.[id]).find((worker) => worker?.isConnected());
    housekeeper = next?.id;
    next?.send(HOUSEKEEPING);
  };
  cluster.on("message", (worker, message) => {
    const problem = (message as { [START_PROBLEM]?: unknown } | null)?.[START_PROBLEM];
    if (typeof problem === "string" && !startProblemSaid) {
      startProblemSaid = true;
      process.stderr.write(`${problem}\n`);
    }
    if (message !== READY) return;
    listened.add(worker.id);
    pickHousekeeper();
  });
  cluster.setupPrimary({ execArgv: workerExecArgv() });
  const forkWorker = () => cluster.fork(WORKER_ENV);
  for (let i = 0; i < workers; i++) forkWorker();
  cluster.on("exit", (worker, code, signal) => {
    if (signal === "SIGTERM" || signal === "SIGINT" || code === 0) return;
    if (!listened.has(worker.id)) {
      // It failed while starting (e.g. a bad setting): another would fail the same way. Its
      // messages have all arrived once its channel is closed; a line it sent says why.
      const report = () => {
        if (!startProblemSaid)
          log.error("a worker could not start; stopping", { worker: worker.process.pid, code });
      };
      if (worker.isConnected()) worker.once("disconnect", report);
      else report();
      for (const other of Object.values(cluster.workers ?? {})) other?.kill("SIGTERM");
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 5000).unref();
      return;
    }
    log.error("a worker stopped; starting another", { worker: worker.process.pid, code, signal });
    listened.delete(worker.id);
    if (housekeeper === worker.id) housekeeper = undefined;
    pickHousekeeper();
    forkWorker();
  });
  // One stop, whatever number of signals ask for it (a second one used to kill this process at once,
  // and with it, through their channel, the workers and their requests in flight).
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    // The workers exit by themselves at SHUTDOWN_TIMEOUT; this is for one that does not.
    setTimeout(() => process.exit(0), config.shutdownTimeoutMs + 1000).unref();
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** This process's settings, once they parsed: what a failed start is explained against. */
let settings: Config | undefined;

main().catch((error: unknown) => {
  const problem = startProblem(error, settings);
  if (problem && cluster.isWorker && process.send) {
    // The primary says it, once for all its workers.
    process.send({ [START_PROBLEM]: problem }, () => process.exit(1));
    return;
  }
  if (problem !== undefined) {
    if (problem) process.stderr.write(`${problem}\n`);
  } else createLogger("error").error("Portico could not start", describeError(error));
  process.exit(1);
});
