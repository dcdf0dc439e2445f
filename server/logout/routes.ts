import type { Context, Hono } from "hono";
import { z } from "zod";
import { readJson } from "@/server/http/body.ts";
import { ApiError } from "@/server/http/errors.ts";
import { resourceId } from "@/server/http/ids.ts";
import { rateLimited } from "@/server/oauth2/authorize/endpoint.ts";
import type { Services } from "@/server/services.ts";
import { endSession, registeredPostLogoutUri } from "./end-session.ts";
import type { LogoutRequest, LogoutRequests } from "./store.ts";

const resource = (id: string) => `rn:hydra:oauth2:logout:requests:${id}`;
const SESSIONS_RESOURCE = "rn:hydra:oauth2:auth:sessions:login";

// A query's subject holds no U+0000, as no JSON body's may (PostgreSQL's text refuses it).
const subject = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\0]*$/, "subject may not hold a NUL character");
const sid = z.string().regex(/^[A-Za-z0-9._~-]{8,128}$/, "sid must be 8 to 128 URL-safe characters");

/** Body of the accept operation: the session the app ended (an addition of this server). */
const acceptLogoutRequestPayload = z.object({
  subject: subject.nullish().transform((value) => value ?? undefined),
  sid: sid.nullish().transform((value) => value ?? undefined),
});

/** The logout request as the 2017 face answers it; fields appear only when known. */
function toWire(request: LogoutRequest) {
  return {
    id: request.id,
    ...(request.subject ? { subject: request.subject } : {}),
    ...(request.sid ? { sid: request.sid } : {}),
    ...(request.clientId ? { audience: request.clientId } : {}),
    ...(request.uiLocales.length > 0 ? { uiLocales: request.uiLocales } : {}),
    expiresAt: request.expiresAt.toISOString(),
  };
}

async function decidable(logoutRequests: LogoutRequests, id: string): Promise<LogoutRequest> {
  const request = await logoutRequests.get(id);
  if (!request) throw ApiError.notFound(`No logout request with id ${id}`);
  const reason = logoutRequests.undecidable(request);
  if (reason === "expired") throw new ApiError(410, "The logout request has expired");
  if (reason === "decided") throw ApiError.conflict("The logout request was already accepted or rejected");
  return request;
}

/**
 * Sign-out, both faces of it on the public port: the end-session endpoint
 * browsers and relying parties use, and the additions to the 2017 API that
 * the login & consent app answers it with (same warden rules as consent
 * requests, scope hydra.consent).
 */
export function logoutRoutes(api: Hono, services: Services) {
  const { guard, logoutRequests, backchannel, config } = services;

  // public · RP-Initiated Logout 1.0 · errors are an HTML page, never a redirect
  // Each new sign-out request is stored until it expires, whoever sends it: rate-limited per address
  // like /oauth2/auth (AUTH_RATE_LIMIT, one bucket for both).
  const endSessionLimited = (c: Context) => rateLimited(c, services, "sign-out") ?? endSession(c, services);
  api.get("/oauth2/sessions/logout", endSessionLimited);
  api.post("/oauth2/sessions/logout", endSessionLimited);

  // scope hydra.consent · rn:hydra:oauth2:logout:requests:<id> · get
  api.get("/oauth2/logout/requests/:id", async (c: Context) => {
    const id = resourceId("The logout request id", c.req.param("id") as string, 64);
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "get" });
    return c.json(toWire(await decidable(logoutRequests, id)));
  });

  // scope hydra.consent · rn:hydra:oauth2:logout:requests:<id> · accept
  // The body names the session the app ended; the clients it signed in to are told (back-channel).
  // Only what the app ended: never the hint's session on its own (an empty body ended nothing, and
  // no session that lives on is announced as ended). The browser goes on to `redirectTo` (the
  // registered post-logout URI, through this server) if any.
  api.patch("/oauth2/logout/requests/:id/accept", async (c: Context) => {
    const id = resourceId("The logout request id", c.req.param("id") as string, 64);
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "accept" });
    const ended = await readJson(c, acceptLogoutRequestPayload, {});
    const request = await decidable(logoutRequests, id);
    if (!(await logoutRequests.decide(id, "accepted"))) await decidable(logoutRequests, id);
    if (ended.sid) void backchannel.sessionsEnded({ sid: ended.sid, subject: ended.subject });
    // Only to a URI the client registers now: it may have given it up since the request was made.
    const redirectTo = (await registeredPostLogoutUri(request, services))
      ? `${config.issuer}/oauth2/sessions/logout?${new URLSearchParams({ logout: id })}`
      : undefined;
    return c.json(redirectTo ? { redirectTo } : {});
  });

  // scope hydra.consent · rn:hydra:oauth2:logout:requests:<id> · reject
  api.patch("/oauth2/logout/requests/:id/reject", async (c: Context) => {
    const id = resourceId("The logout request id", c.req.param("id") as string, 64);
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "reject" });
    await decidable(logoutRequests, id);
    if (!(await logoutRequests.decide(id, "rejected"))) await decidable(logoutRequests, id);
    return c.body(null, 204);
  });

  // scope hydra.consent · rn:hydra:oauth2:auth:sessions:login · delete
  // The app ended sessions on its own (sign-out, "sign out everywhere"): one by `sid`, or all of a
  // `subject`. Back-channel logout starts for them; the answer never waits for it.
  api.delete("/oauth2/auth/sessions/login", async (c: Context) => {
    await guard(c, { scope: "hydra.consent", resource: SESSIONS_RESOURCE, action: "delete" });
    const query = z
      .object({ subject: subject.optional(), sid: sid.optional() })
      .refine((q) => q.subject !== undefined || q.sid !== undefined, "subject or sid is required")
      .safeParse({ subject: c.req.query("subject"), sid: c.req.query("sid") });
    if (!query.success)
      throw ApiError.badRequest(query.error.issues[0]?.message ?? "subject or sid is required");
    void backchannel.sessionsEnded(query.data);
    return c.body(null, 204);
  });
}
