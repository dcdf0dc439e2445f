import { Hono } from "hono";
import { describeError } from "@/common/log.ts";
import { DATABASE_UNAVAILABLE, databaseUnavailable } from "@/db/unavailable.ts";
import { allowedMethods } from "@/server/http/allowed-methods.ts";
import { finishAnswerHeaders } from "@/server/http/answer-headers.ts";
import { clientRoutes } from "./clients/routes.ts";
import { consentRoutes } from "./consent/routes.ts";
import { discoveryRoutes } from "./discovery/routes.ts";
import { healthRoutes } from "./health/routes.ts";
import { ApiError, apiErrorResponse } from "./http/errors.ts";
import { keyRoutes } from "./keys/routes.ts";
import { logoutRoutes } from "./logout/routes.ts";
import { OAuthError, oauthErrorResponse, ServerError } from "./oauth2/errors.ts";
import { oauth2Routes } from "./oauth2/routes.ts";
import { policyRoutes } from "./policies/routes.ts";
import type { Services } from "./services.ts";
import { subjectRoutes } from "./subjects/routes.ts";

// `/admin` is the Hydra 2.x admin API's, which only the admin listener serves: the public port
// answers it with a 404 instead of handing it to the pages.
const API_ROOTS = ["/clients", "/keys", "/policies", "/health", "/warden", "/admin", "/userinfo"];

/** Whether the API owns a path; every other request goes to Next.js. */
export function isApiPath(path: string): boolean {
  if (path.startsWith("/oauth2/") || path.startsWith("/.well-known/")) return true;
  return API_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));
}

function isPublicPath(path: string): boolean {
  return path.startsWith("/.well-known/") || path === "/health";
}

/** The Hydra API: one routes module per domain, paths exactly as Hydra's API writes them. */
export function createApi(services: Services): Hono {
  const api = new Hono({ strict: true });

  api.use(async (c, next) => {
    const started = performance.now();
    c.set("snapshot", services.snapshots.create());
    await next();
    // Admin answers can carry a client secret or private keys; discovery, JWKS and health are
    // public and may be cached.
    finishAnswerHeaders(c, !isPublicPath(c.req.path));
    // A body refused as too large is left partly unread on the connection: close it with the
    // answer, or the rest of that body would be read as the next request.
    if (c.res.status === 413) c.res.headers.set("connection", "close");
    services.stats.record(c.res.status, performance.now() - started);
  });

  healthRoutes(api, services);
  clientRoutes(api, services);
  keyRoutes(api, services);
  policyRoutes(api, services);
  oauth2Routes(api, services);
  consentRoutes(api, services);
  logoutRoutes(api, services);
  subjectRoutes(api, services);
  discoveryRoutes(api, services);

  const allowed = allowedMethods(api);
  api.notFound((c) => {
    const methods = allowed(c.req.path);
    if (methods.length === 0) {
      return apiErrorResponse(ApiError.notFound(`No operation at ${c.req.method} ${c.req.path}`));
    }
    const refused = apiErrorResponse(
      new ApiError(405, `${c.req.path} does not answer ${c.req.method}; it answers ${methods.join(", ")}`),
    );
    refused.headers.set("allow", methods.join(", "));
    return refused;
  });
  api.onError((error, c) => {
    if (error instanceof ApiError) return apiErrorResponse(error);
    if (error instanceof OAuthError) return oauthErrorResponse(error);
    const oauth =
      c.req.path.startsWith("/oauth2/") &&
      !c.req.path.startsWith("/oauth2/consent/") &&
      !c.req.path.startsWith("/oauth2/logout/") &&
      !c.req.path.startsWith("/oauth2/auth/sessions/") &&
      !c.req.path.startsWith("/oauth2/auth/subjects/");
    // The database is down, unreachable or locked: an outage that heals without us (503, and a
    // line without a stack, which would only show the driver's), not a defect of this request.
    const outage = databaseUnavailable(error);
    if (outage) {
      services.log.warn("request failed: the database is unavailable", {
        method: c.req.method,
        path: c.req.path,
        reason: outage,
      });
      return oauth
        ? oauthErrorResponse(new OAuthError("temporarily_unavailable", DATABASE_UNAVAILABLE, 503))
        : apiErrorResponse(new ApiError(503, DATABASE_UNAVAILABLE));
    }
    services.log.error("request failed", { method: c.req.method, path: c.req.path, ...describeError(error) });
    if (oauth) return oauthErrorResponse(new ServerError());
    return apiErrorResponse(new ApiError(500, "The server could not complete the request"));
  });
  return api;
}
