import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest, InvalidScope } from "@/server/oauth2/errors.ts";
import { responseParts } from "@/server/oauth2/response-types.ts";
import {
  MALFORMED_SCOPE,
  OPENID_SCOPE,
  scopeAllowedToClient,
  splitScopes,
  wellFormedScopes,
} from "@/server/oauth2/scopes.ts";

/**
 * The most scopes one authorization may ask for: each is a line of the
 * consent screen, and consent apps (this one, Hydra 2.x's) refuse a request
 * with more, which would leave the person on an error page instead of
 * sending the client an error.
 */
const MAX_REQUESTED_SCOPES = 100;

/**
 * RFC 6749 §3.3: every requested scope is a scope-token and allowed to the client under
 * Hydra's wildcard strategy (`offline` and `offline_access` standing for
 * each other). An ID token is an OpenID Connect response,
 * which needs the `openid` scope (OpenID Connect Core §3.1.2.1).
 */
export const scope: AuthorizationCheck = (context) => {
  const requested = splitScopes(context.params.get("scope"));
  if (!wellFormedScopes(requested)) throw new InvalidScope(MALFORMED_SCOPE);
  if (requested.length > MAX_REQUESTED_SCOPES) {
    throw new InvalidScope(`At most ${MAX_REQUESTED_SCOPES} scopes may be requested at once`);
  }
  const allowed = context.client?.scopes ?? [];
  const refused = requested.filter((scope) => !scopeAllowedToClient(allowed, scope));
  if (refused.length > 0) throw new InvalidScope(`The client may not request ${refused.join(" ")}`);
  if (
    context.responseType &&
    responseParts(context.responseType).idToken &&
    !requested.includes(OPENID_SCOPE)
  ) {
    throw new InvalidRequest("An id_token response needs the openid scope");
  }
  context.scopes = requested;
};
