import { Hono } from "hono";
import { describeError } from "@/common/log.ts";
import { DATABASE_UNAVAILABLE, databaseUnavailable } from "@/db/unavailable.ts";
import { allowedMethods } from "@/server/http/allowed-methods.ts";
import { finishAnswerHeaders } from "@/server/http/answer-headers.ts";
import type { Services } from "@/server/services.ts";
import { clientRoutes } from "./clients/routes.ts";
import { logoutRequestRoutes } from "./flow/logout-routes.ts";
import { flowRoutes } from "./flow/routes.ts";
import { consentSessionRoutes } from "./flow/sessions.ts";
import { healthRoutes } from "./health/routes.ts";
import { AdminError, adminErrorResponse, toAdminError } from "./http/errors.ts";
import { keyRoutes } from "./keys/routes.ts";
import { oauth2AdminRoutes } from "./oauth2/routes.ts";

const NUL_IN_URL = /%00/;

/**
 * The operations of Hydra's admin document this server does not implement.
 * Each answers 501 naming the operation: a 404 there would read as "no such
 * client" to a caller of Ory's SDK.
 */
const NOT_IMPLEMENTED: [method: string, path: string, operation: string][] = [
  ["PUT", "/admin/clients/:id/lifespans", "setOAuth2ClientLifespans: per-client token lifespans"],
  [
    "POST",
    "/admin/clients/:id/secrets/rotate",
    "rotateOAuth2ClientSecret: set a new client_secret with PATCH or PUT /admin/clients/{id}",
  ],
  ["DELETE", "/admin/clients/:id/secrets/rotate", "deleteRotatedOAuth2ClientSecrets: secret rotation"],
  ["PUT", "/admin/oauth2/auth/requests/device/accept", "acceptUserCodeRequest: the device flow"],
  ["GET", "/admin/trust/grants/jwt-bearer/issuers", "listTrustedOAuth2JwtGrantIssuers: the JWT bearer grant"],
  ["POST", "/admin/trust/grants/jwt-bearer/issuers", "trustOAuth2JwtGrantIssuer: the JWT bearer grant"],
  [
    "GET",
    "/admin/trust/grants/jwt-bearer/issuers/:id",
    "getTrustedOAuth2JwtGrantIssuer: the JWT bearer grant",
  ],
  [
    "DELETE",
    "/admin/trust/grants/jwt-bearer/issuers/:id",
    "deleteTrustedOAuth2JwtGrantIssuer: the JWT bearer grant",
  ],
];

/**
 * The Hydra 2.x admin API (Hydra v26's OpenAPI document), served on its own
 * listener (ADMIN_HOST:ADMIN_PORT). Like Hydra's admin port it has no
 * authentication: whoever reaches it administers the server, so it listens
 * on the loopback interface by default and must never face the internet.
 * It works on the same stores as the 2017 API.
 */
export function createAdminApi(services: Services): Hono {
  const api = new Hono({ strict: true });

  api.use(async (c, next) => {
    const started = performance.now();
    await next();
    // Every admin answer can carry a client secret, a token's claims or private keys.
    finishAnswerHeaders(c, true);
    services.stats.record(c.res.status, performance.now() - started);
  });

  // No path or query value may hold U+0000, as no JSON body may (parseJsonBody): PostgreSQL's text
  // refuses it, so a client id, key set, subject or filter holding one was a 500 there. The target
  // arrives percent-encoded (Node refuses a raw NUL), and `%00` is the only spelling that decodes to it.
  api.use(async (c, next) => {
    if (NUL_IN_URL.test(c.req.url)) {
      return adminErrorResponse(
        AdminError.invalidRequest("The URL holds a NUL character (U+0000), which no parameter may hold"),
      );
    }
    await next();
  });

  healthRoutes(api, services);
  clientRoutes(api, services);
  keyRoutes(api, services);
  oauth2AdminRoutes(api, services);
  flowRoutes(api, services);
  logoutRequestRoutes(api, services);
  consentSessionRoutes(api, services);
  for (const [method, path, operation] of NOT_IMPLEMENTED) {
    api.on(method, path, () =>
      adminErrorResponse(
        new AdminError(501, "Not Implemented", `This server does not implement ${operation}`),
      ),
    );
  }

  // A path the document has, asked with a method it does not answer: RFC 9110 §15.5.6's 405 with
  // `Allow`, as Hydra's router (httprouter) answers, not a 404 that reads as "no such resource".
  const allowed = allowedMethods(api);
  api.notFound((c) => {
    const methods = allowed(c.req.path);
    if (methods.length === 0) {
      return adminErrorResponse(AdminError.notFound("No operation at this method and path on the admin API"));
    }
    const refused = adminErrorResponse(
      new AdminError(
        405,
        "Method Not Allowed",
        `${c.req.path} does not answer ${c.req.method}; it answers ${methods.join(", ")}`,
      ),
    );
    refused.headers.set("allow", methods.join(", "));
    return refused;
  });
  api.onError((error, c) => {
    const known = toAdminError(error);
    if (known) return adminErrorResponse(known);
    // An outage of the database, not a defect of this request: 503, one line without a stack.
    const outage = databaseUnavailable(error);
    if (outage) {
      services.log.warn("admin request failed: the database is unavailable", {
        method: c.req.method,
        path: c.req.path,
        reason: outage,
      });
      return adminErrorResponse(new AdminError(503, "temporarily_unavailable", DATABASE_UNAVAILABLE));
    }
    services.log.error("admin request failed", {
      method: c.req.method,
      path: c.req.path,
      ...describeError(error),
    });
    return adminErrorResponse(
      new AdminError(500, "server_error", "The server could not complete the request"),
    );
  });
  return api;
}
