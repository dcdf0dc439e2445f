import type { Context, Hono } from "hono";
import { toV2Wire } from "@/server/hydra2/clients/model.ts";
import { AdminError } from "@/server/hydra2/http/errors.ts";
import type { LogoutRequest } from "@/server/logout/store.ts";
import type { Services } from "@/server/services.ts";
import { logoutVerifier } from "./logout.ts";

/**
 * The logout operations of Hydra's OAuth2Api, over the engine's logout
 * requests. Unknown, rejected or expired (or the 2.x flow off): 404.
 * Accepted already: GET answers 410 with the original end-session URL,
 * accept and reject 409. Nothing is ended here: the login session ends,
 * and back-channel logout starts, when the browser brings the verifier
 * back to /oauth2/sessions/logout.
 */
export function logoutRequestRoutes(api: Hono, services: Services) {
  const { logoutRequests, clients, config } = services;

  const load = async (c: Context) => {
    const challenge = c.req.query("logout_challenge");
    if (!challenge) throw AdminError.invalidRequest("logout_challenge is required");
    const stored = config.hydra2Flow ? await logoutRequests.get(challenge) : null;
    // Only requests of the 2.x face (bound to a browser) are answered here.
    if (!stored || stored.bindingHash === null || stored.status === "rejected")
      throw AdminError.notFound("The logout request does not exist");
    if (stored.expiresAt.getTime() <= Date.now()) throw AdminError.notFound("The logout request has expired");
    return { stored, handled: stored.status !== "pending" };
  };

  const toWire = async (stored: LogoutRequest) => {
    const client = stored.clientId ? await clients.get(stored.clientId) : null;
    return {
      challenge: stored.id,
      subject: stored.subject ?? "",
      sid: stored.sid ?? "",
      request_url: stored.requestUrl,
      rp_initiated: stored.rpInitiated,
      ...(client ? { client: toV2Wire(client) } : {}),
      requested_at: stored.requestedAt.toISOString(),
      expires_at: stored.expiresAt.toISOString(),
    };
  };

  // getOAuth2LogoutRequest
  api.get("/admin/oauth2/auth/requests/logout", async (c) => {
    const { stored, handled } = await load(c);
    if (handled) return c.json({ redirect_to: stored.requestUrl }, 410);
    return c.json(await toWire(stored));
  });

  // acceptOAuth2LogoutRequest: the browser goes back to the end-session endpoint with the verifier.
  api.put("/admin/oauth2/auth/requests/logout/accept", async (c) => {
    const { stored, handled } = await load(c);
    if (handled || !(await logoutRequests.decide(stored.id, "accepted")))
      throw AdminError.conflict("The logout request was already handled");
    const query = new URLSearchParams({ logout_verifier: logoutVerifier(services, stored.id) });
    return c.json({ redirect_to: `${config.issuer}/oauth2/sessions/logout?${query}` });
  });

  // rejectOAuth2LogoutRequest: nobody is signed out; the app decides where the browser goes (204, as Hydra).
  api.put("/admin/oauth2/auth/requests/logout/reject", async (c) => {
    const { stored, handled } = await load(c);
    if (handled || !(await logoutRequests.decide(stored.id, "rejected")))
      throw AdminError.conflict("The logout request was already handled");
    return c.body(null, 204);
  });
}
