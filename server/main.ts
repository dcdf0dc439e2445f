import cluster from "node:cluster";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import { SOCKET_ADDRESS_HEADER } from "@/common/client-address.ts";
import { createLogger, describeError } from "@/common/log.ts";
import { createDatabase } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { createApi, isApiPath } from "./app.ts";
import { bootstrap } from "./bootstrap.ts";
import { type Config, ConfigError, loadConfig } from "./config/config.ts";
import { schedulePurge } from "./housekeeping.ts";
import { createAdminApi } from "./hydra2/app.ts";
import { createServices } from "./services.ts";

/** What a worker sends the primary once it listens on both ports. */
const READY = "portico:ready";

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Listens, resolving once the port is bound and rejecting when it cannot be (e.g. in use). */
function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Next.js for every non-API request, from the `next build` output. */
async function loadPages(config: Config): Promise<Handler | undefined> {
  const root = process.cwd();
  if (!existsSync(join(root, ".next", "BUILD_ID"))) return undefined;
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  process.env.NEXTAUTH_URL ??= `${config.issuer}/api/auth`;
  const { default: next } = await import("next");
  const app = next({ dev: false, dir: root, hostname: "localhost", port: config.port });
  await app.prepare();
  return app.getRequestHandler();
}

/** A host as it goes into a URL: an IPv6 address in brackets. */
function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** One serving process: the API through Hono, everything else through Next.js. */
async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const db = createDatabase(config.databaseUrl);
  const services = createServices(config, db, log);
  const api = getRequestListener(createApi(services).fetch);
  const pages = await loadPages(config);
  if (!pages) log.warn("the pages are not built (run `npm run build`); serving the API only");

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    if (isApiPath(path)) return void api(req, res);
    if (pages) {
      // The consent app throttles sign-ins by client address; it reads the socket's from here.
      req.headers[SOCKET_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
      return void pages(req, res);
    }
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
    res.end("The pages are not built. Run `npm run build`.\n");
  });
  server.keepAliveTimeout = 65_000;
  // The Hydra 2.x admin API has no authentication, as Hydra's admin port: its own listener,
  // on the loopback interface unless ADMIN_HOST says otherwise.
  const admin = createServer(getRequestListener(createAdminApi(services).fetch));
  admin.keepAliveTimeout = 65_000;
  await listen(admin, config.adminPort, config.adminHost);
  await listen(server, config.port, config.host);
  // Tells the primary this worker started: both ports are bound.
  if (cluster.isWorker) process.send?.(READY);
  log.info(`Portico is listening on ${config.issuer}`, { pid: process.pid });
  log.info(`The admin API is listening on http://${hostForUrl(config.adminHost)}:${config.adminPort}`, {
    pid: process.pid,
  });

  const stop = () => {
    admin.close();
    server.close(() => void db.$disconnect().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** Migrate and bootstrap once, then serve in WORKERS processes (default: one per core). */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  if (cluster.isWorker) return serve(config);

  const log = createLogger(config.logLevel);
  const applied = await migrate(config.databaseUrl);
  if (applied.length > 0) log.info("applied migrations", { migrations: applied });
  const db = createDatabase(config.databaseUrl);
  await bootstrap(createServices(config, db, log));
  schedulePurge(db, config, log);

  const workers = config.workers ?? availableParallelism();
  if (workers === 1) return serve(config);
  const listened = new Set<number>();
  cluster.on("message", (worker, message) => {
    if (message === READY) listened.add(worker.id);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (signal === "SIGTERM" || signal === "SIGINT" || code === 0) return;
    if (!listened.has(worker.id)) {
      // It failed while starting (e.g. a bad setting): another would fail the same way.
      log.error("a worker could not start; stopping", { pid: worker.process.pid, code });
      for (const other of Object.values(cluster.workers ?? {})) other?.kill("SIGTERM");
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 5000).unref();
      return;
    }
    log.error("a worker stopped; starting another", { pid: worker.process.pid, code, signal });
    cluster.fork();
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    setTimeout(() => process.exit(0), 5000).unref();
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Portico could not start: ${JSON.stringify(describeError(error))}\n`);
  process.exit(1);
});
