/**
 * A fake API server for the consent app's tests: the shape of the 2017 Hydra
 * API (HYDRA_URL), and of Hydra 2.x's admin API under /admin/
 * (HYDRA_ADMIN_URL), on a random loopback port. The test gives each route's
 * answer; a path without a route, or whose route gives none, is the 2017
 * API's 404. Routes match on the path alone, whatever the method.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One call to the fake, as a route sees it. */
export interface FakeCall {
  url: URL;
  /** The request's id in the path, decoded (a consent or logout request's, a client's); "" elsewhere. */
  id: string;
  /** The bearer token the call came with; "" without one. */
  bearer: string;
  /** The fake's own URL, for the redirects its answers hold. */
  origin: string;
  request: IncomingMessage;
  response: ServerResponse;
}

/**
 * A route's answer: JSON with its status (no `body`: an empty answer), `text` sent as if it were
 * JSON, `"silent"` none ever (the connection stays open until `stop`), or `"handled"` when the
 * route wrote to `call.response` itself.
 */
export type FakeAnswer =
  | { status: number; body?: unknown }
  | { status: number; text: string }
  | "silent"
  | "handled";

/** A route: `undefined` leaves the call to the 404. */
export type FakeRoute = (call: FakeCall) => FakeAnswer | undefined;

export interface FakeHydraRoutes {
  /** `/oauth2/token`; without it, a bearer token `fake-token` for an hour. */
  token?: FakeRoute;
  /** Before every 2017 API route but the token endpoint: an answer here is given instead (a refused token). */
  guard?: FakeRoute;
  /** `/oauth2/consent/requests/{id}` */
  consentRequest?: FakeRoute;
  /** `/oauth2/consent/requests/{id}/accept` */
  acceptConsent?: FakeRoute;
  /** `/oauth2/consent/requests/{id}/reject` */
  rejectConsent?: FakeRoute;
  /** `/oauth2/logout/requests/{id}` */
  logoutRequest?: FakeRoute;
  /** `/clients/{id}` */
  client?: FakeRoute;
  /** Every path under `/admin/` (Hydra 2.x's admin API, which asks for no token). */
  admin?: FakeRoute;
}

export interface FakeHydraApi {
  url: string;
  /** Every request it received, as `METHOD path`. */
  requests: string[];
  stop(): Promise<void>;
}

/** The 2017 API's paths with an id, each with its route. */
const PATHS: Array<[RegExp, keyof FakeHydraRoutes]> = [
  [/^\/oauth2\/consent\/requests\/([^/]+)$/, "consentRequest"],
  [/^\/oauth2\/consent\/requests\/([^/]+)\/accept$/, "acceptConsent"],
  [/^\/oauth2\/consent\/requests\/([^/]+)\/reject$/, "rejectConsent"],
  [/^\/oauth2\/logout\/requests\/([^/]+)$/, "logoutRequest"],
  [/^\/clients\/([^/]+)$/, "client"],
];

const defaultToken: FakeRoute = () => ({
  status: 200,
  body: { access_token: "fake-token", token_type: "bearer", expires_in: 3600 },
});

const written = ({ status, body }: { status: number; body?: unknown }) => ({
  status,
  text: body === undefined ? undefined : JSON.stringify(body),
});

const notFound = written({ status: 404, body: { error: { code: 404, message: "not found" } } });

function send(response: ServerResponse, answer: FakeAnswer | undefined): void {
  if (answer === "silent" || answer === "handled") return;
  const { status, text } = answer === undefined ? notFound : "text" in answer ? answer : written(answer);
  response.writeHead(status, text === undefined ? {} : { "content-type": "application/json" });
  response.end(text);
}

function answerOf(routes: FakeHydraRoutes, call: FakeCall): FakeAnswer | undefined {
  const path = call.url.pathname;
  if (path === "/oauth2/token") return (routes.token ?? defaultToken)(call);
  if (path.startsWith("/admin/")) return routes.admin?.(call);
  const refused = routes.guard?.(call);
  if (refused !== undefined) return refused;
  for (const [pattern, name] of PATHS) {
    const id = pattern.exec(path)?.[1];
    if (id !== undefined) return routes[name]?.({ ...call, id: decodeURIComponent(id) });
  }
  return undefined;
}

export async function startFakeHydraApi(routes: FakeHydraRoutes): Promise<FakeHydraApi> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://fake");
    fake.requests.push(`${request.method} ${url.pathname}`);
    request.resume();
    const bearer = request.headers.authorization?.replace(/^Bearer /, "") ?? "";
    send(response, answerOf(routes, { url, id: "", bearer, origin: fake.url, request, response }));
  });
  const fake: FakeHydraApi = {
    url: "",
    requests: [],
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
