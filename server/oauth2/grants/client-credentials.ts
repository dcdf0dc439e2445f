import { randomUUID } from "node:crypto";
import { allowedAudience } from "@/server/oauth2/authorize/checks/audience.ts";
import { InvalidScope, UnauthorizedClient } from "@/server/oauth2/errors.ts";
import { MALFORMED_SCOPE, scopeAllowed, splitScopes, wellFormedScopes } from "@/server/oauth2/scopes.ts";
import type { GrantHandler } from "./grant.ts";

/**
 * RFC 6749 §4.4. The client acts for itself: the token's subject is the
 * client id. Without `scope`, the client's registered scopes are granted
 * (RFC 6749 §3.3 lets the server apply a default).
 *
 * In Hydra 2.x mode the client may ask for an access-token `audience`
 * (space-separated), each value one of its registered `audience` values
 * (else invalid_request, nothing issued); the token carries it, and the 2.x
 * introspection answers it as `aud`. The 2017 API has no such parameter and
 * ignores it. No refresh token, as ever for this grant.
 */
export const clientCredentials: GrantHandler = async ({ client, form, services, snapshot }) => {
  if (client.public) throw new UnauthorizedClient("A public client cannot use client_credentials");
  const requested = splitScopes(form.get("scope"));
  if (!wellFormedScopes(requested)) throw new InvalidScope(MALFORMED_SCOPE);
  for (const scope of requested) {
    if (!scopeAllowed(client.scopes, scope))
      throw new InvalidScope(`The client may not request the scope ${scope}`);
  }
  const scopes = requested.length > 0 ? requested : client.scopes;
  const audience = services.config.hydra2Flow ? allowedAudience(form.get("audience"), client) : [];
  const { token } = await services.accessTokens.issue(
    { grantId: randomUUID(), clientId: client.id, subject: client.id, scopes, audience },
    snapshot,
  );
  return {
    access_token: token,
    token_type: "bearer",
    expires_in: services.accessTokens.lifespanSeconds,
    scope: scopes.join(" "),
  };
};
