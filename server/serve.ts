import cluster from "node:cluster";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { getRequestListener } from "@hono/node-server";
import { SOCKET_ADDRESS_HEADER } from "@/common/client-address.ts";
import { awaitHousekeeperRole, becomeHousekeeper } from "@/common/housekeeper.ts";
import { createLogger, describeError, type Logger } from "@/common/log.ts";
import { listenerUrl, setOwnListener } from "@/common/own-listener.ts";
import { answeringPage } from "@/common/page-request.ts";
import { sharedDatabase } from "@/db/client.ts";
import { createApi, isApiPath } from "./app.ts";
import { appAloneAnswer } from "./app-alone.ts";
import type { Config } from "./config/config.ts";
import { schedulePurge } from "./housekeeping.ts";
import { answerClientError } from "./http/client-error.ts";
import { createAdminApi } from "./hydra2/app.ts";
import { anonymousJwks, JWKS_PATH } from "./keys/jwks.ts";
import { HOUSEKEEPING, READY } from "./roles.ts";
import { createServices, type Services } from "./services.ts";

/** A request with its path (the URL without its query), which the server has split off already. */
type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => void | Promise<void>;

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

/**
 * The login & consent app for every non-API request, from `npm run build`'s
 * output: the routes that only redirect (dist/app/routes.js, from
 * lib/routes.ts) directly, everything else through Next.js.
 */
async function loadPages(config: Config, log: Logger): Promise<Handler | undefined> {
  const root = process.cwd();
  const routesFile = join(root, "dist", "app", "routes.js");
  if (!existsSync(join(root, ".next", "BUILD_ID")) || !existsSync(routesFile)) return undefined;
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  process.env.NEXTAUTH_URL ??= `${config.issuer}/api/auth`;
  const { default: next } = await import("next");
  // Next.js attaches a listener for upgrade requests (WebSockets, `Upgrade: h2c`) to the server of the
  // first request it serves. In production it answers none: it ends the connection on a page's path
  // and leaves every other one open without a word, beyond every timeout, so `curl --http2` hung on
  // the API and a client could hold any number of sockets. Nothing here upgrades, so it gets a server
  // that never listens, and ours, without such a listener, serves these requests as any other (Node
  // then ignores the Upgrade header, as RFC 9110 §7.8 lets a server).
  const app = next({
    dev: false,
    dir: root,
    hostname: "localhost",
    port: config.port,
    httpServer: createServer(),
  });
  await app.prepare();
  const nextHandler = app.getRequestHandler();
  const { routes, pageFront, needsFront, assetFront } = (await import(
    pathToFileURL(routesFile).href
  )) as AppModule;
  // As Next.js answers a page that throws: a plain 500, the error in the log only.
  const errorHandler = (error: unknown) => {
    log.error("an app route failed", describeError(error));
    return new Response("Internal Server Error", { status: 500 });
  };
  const direct = new Map(
    Object.entries(routes).map(([path, route]) => [path, getRequestListener(route.GET, { errorHandler })]),
  );
  return async (req, res, path) => {
    const handler = req.method === "GET" ? direct.get(path) : undefined;
    if (handler) return handler(req, res);
    if (needsFront(path)) {
      const goOn = await pageFront(req, res, path).catch((error: unknown) => {
        log.error("the pages' front failed", describeError(error));
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Internal Server Error\n");
        return false;
      });
      if (!goOn) return;
      // A form post Next.js fails to decode, a page's own status: common/page-request.ts.
      return answeringPage(req, res, () => nextHandler(req, res));
    }
    assetFront(res);
    return nextHandler(req, res);
  };
}

type AppRoute = (request: Request) => Promise<Response>;

/** dist/app/routes.js (lib/routes.ts). */
interface AppModule {
  routes: Record<string, { GET: AppRoute }>;
  pageFront(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  needsFront(path: string): boolean;
  assetFront(res: ServerResponse): void;
}

/** A path the URL parser rewrites: a dot segment (also percent-encoded), a backslash or a fragment. */
const UNUSUAL_PATH = /\/(?:\.|%2e){1,2}(?:\/|$)|[\\#]/i;

/**
 * The path of a request as the router (Hono) and Next.js read it, which is the
 * WHATWG URL parser's: dot segments resolved (`/_next/static/../../login` is
 * `/login`), the fragment dropped, an absolute-form target (RFC 9112 §3.2.2)
 * reduced to its path. Deciding where a request goes on the raw target
 * instead let such a path reach a page without the pages' front (its
 * security headers, the refusal of cross-site and oversized form posts) and
 * an absolute-form API call reach Next.js. A target the parser rewrites is
 * rewritten in `req.url` too, so every part of the server sees one path; the
 * usual one is left as it is. Undefined: no path at all (`*`, a relative
 * path) or a backslash, which the router refuses too and no browser sends.
 */
function targetPath(req: IncomingMessage): string | undefined {
  const target = req.url ?? "/";
  const query = target.indexOf("?");
  const path = query === -1 ? target : target.slice(0, query);
  if (path.startsWith("/") && !UNUSUAL_PATH.test(path)) return path;
  if (path.includes("\\")) return undefined;
  let url: URL;
  try {
    if (path.startsWith("/")) url = new URL(`http://localhost${target}`);
    else if (/^https?:\/\//i.test(target)) url = new URL(target);
    else return undefined;
  } catch {
    return undefined;
  }
  // An absolute-form target names the host the request is for (RFC 9112 §3.2.2).
  if (!path.startsWith("/")) req.headers.host = url.host;
  req.url = `${url.pathname}${url.search}`;
  return url.pathname;
}

/** Answers a target without a path: `OPTIONS *` as a plain 200 (as Go's server did for Hydra), anything else 400. */
function refuseTarget(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === "OPTIONS" && req.url === "*") {
    res.writeHead(200, { "content-length": "0" }).end();
    return;
  }
  res.writeHead(400, { "content-type": "text/plain; charset=utf-8", connection: "close" });
  res.end("The request target must be a path or an absolute http(s) URL.\n");
}

/** A host as it goes into a URL: an IPv6 address in brackets. */
function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * The Hydra 2.x admin API. It has no authentication, as Hydra's admin port: its own listener,
 * on the loopback interface unless ADMIN_HOST says otherwise.
 */
function adminListener(services: Services, config: Config, closing: () => boolean): Server {
  const adminApi = getRequestListener(createAdminApi(services).fetch, {
    hostname: `${hostForUrl(config.adminHost)}:${config.adminPort}`,
  });
  const admin = createServer((req, res) => {
    if (closing()) res.setHeader("connection", "close");
    // `OPTIONS *` (RFC 9110 §9.3.7) names no path the router could read: answered as the public port does.
    if (req.url === "*") return void refuseTarget(req, res);
    return adminApi(req, res);
  });
  admin.keepAliveTimeout = 65_000;
  admin.on("clientError", answerClientError);
  return admin;
}

/**
 * One serving process: the API through Hono, everything else through Next.js.
 * It purges expired flow state when it is the only process, or when the
 * primary picks it for that (one worker at a time does it).
 */
export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  // Until both ports listen nothing is served: a stop asked for meanwhile (Next.js takes a moment to
  // load) ends the process at once, and as a stop, not as a signal's victim.
  let stop: () => void = () => process.exit(0);
  // One stop, whatever number of signals ask for it. A worker often gets two: a service manager or a
  // terminal signals the whole process group, and the primary passes its own on to every worker at
  // once. A second signal with no listener left is deadly: it cut the requests in flight.
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // The app in this process (Next.js, dist/app) uses the same database when its DATABASE_URL is ours.
  const db = sharedDatabase(config.databaseUrl, { synchronous: config.sqliteSynchronous });
  // The app alone (config.appAlone: HYDRA_URL is another server): no server of its own, so no
  // services (which would make ID-token keys), no API, no admin listener, no server housekeeping.
  const services = config.appAlone ? undefined : createServices(config, db, log);
  // An HTTP/1.0 request may come without Host (HTTP/1.1 ones may not, and Node refuses those): the
  // router needs one to build the request's URL, so it reads as for the issuer, as the pages take it.
  const apiListener =
    services && getRequestListener(createApi(services).fetch, { hostname: new URL(config.issuer).host });
  const api: Handler = apiListener
    ? (req, res) => apiListener(req, res)
    : appAloneAnswer(config.appAlone ?? config.hydraUrl);
  const jwks = services && anonymousJwks(services);
  // The app's housekeeping (started as Next.js loads) waits for the primary's pick, as the server's does.
  if (cluster.isWorker) awaitHousekeeperRole();
  const pages = await loadPages(config, log);
  if (!pages) log.warn("the pages are not built (run `npm run build`); serving the API only");

  /** Set once a stop began: every answer from then on closes its connection. */
  let closing = false;
  const server = createServer((req, res) => {
    if (closing) res.setHeader("connection", "close");
    const path = targetPath(req);
    if (path === undefined) return void refuseTarget(req, res);
    // Both halves throttle by client address (sign-ins, /oauth2/auth, client authentication);
    // they read the socket's from here, never from a header a client could have written.
    req.headers[SOCKET_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
    // Every relying party polls the ID-token keys; without a token they need no router.
    if (jwks && path === JWKS_PATH && req.method === "GET" && !req.headers.authorization) {
      return void jwks(res).then((answered) => {
        if (!answered) void api(req, res, path);
      });
    }
    if (isApiPath(path)) return void api(req, res, path);
    if (pages) return void pages(req, res, path);
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8" });
    res.end("The pages are not built. Run `npm run build`.\n");
  });
  server.keepAliveTimeout = 65_000;
  server.on("clientError", answerClientError);
  // The Hydra 2.x admin API's own listener; the app alone opens none.
  const admin = services && adminListener(services, config, () => closing);
  if (admin) await listen(admin, config.adminPort, config.adminHost);
  await listen(server, config.port, config.host);
  // The pages in this process call the API here, not at ISSUER (common/own-listener.ts): the server
  // need not reach its own public URL. Set before the first request, in each worker (all share the
  // port); a process value, so neither the setup child nor any other process inherits it.
  if (services) setOwnListener(listenerUrl(server.address() as AddressInfo));
  if (cluster.isWorker) {
    let purging = false;
    process.on("message", (message) => {
      if (message !== HOUSEKEEPING || purging) return;
      purging = true;
      if (services) {
        schedulePurge(db, config, log);
        services.backchannel.scheduleRetries();
      }
      becomeHousekeeper();
    });
    // Tells the primary this worker started: both ports are bound.
    process.send?.(READY);
  } else if (services) {
    schedulePurge(db, config, log);
    services.backchannel.scheduleRetries();
  }
  // Every line of this logger carries the process id already.
  if (config.appAlone)
    log.info(
      `The login & consent app runs alone against ${config.appAlone}: no authorization server, API or admin listener of its own`,
    );
  log.info(`Portico is listening on ${config.issuer}`);
  if (admin)
    log.info(`The admin API is listening on http://${hostForUrl(config.adminHost)}:${config.adminPort}`);

  // A stop lets the requests in flight finish, then exits; at most SHUTDOWN_TIMEOUT (5 s by default). Node's close() ends only the
  // connections idle at that moment: one kept alive (a reverse proxy's pool keeps them) would still
  // carry new requests until the time was up, and cut whatever was in flight then. So from now on
  // every answer closes its connection, and a connection that has gone idle is closed.
  stop = () => {
    closing = true;
    const closed = (admin ? [server, admin] : [server]).map(
      (listener) => new Promise((resolve) => listener.close(() => resolve(undefined))),
    );
    const idle = setInterval(() => {
      server.closeIdleConnections();
      admin?.closeIdleConnections();
    }, 100);
    idle.unref();
    void Promise.all(closed).then(() => db.$disconnect().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), config.shutdownTimeoutMs).unref();
  };
}
