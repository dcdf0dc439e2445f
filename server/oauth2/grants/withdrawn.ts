import type { Client } from "@/server/clients/model.ts";
import { InvalidRequest, InvalidScope } from "@/server/oauth2/errors.ts";
import { scopeAllowedToClient } from "@/server/oauth2/scopes.ts";
import type { Services } from "@/server/services.ts";

/**
 * What a grant holds must still be the client's to ask for when a code or a
 * refresh token is redeemed: a scope taken from the client's registration
 * since is invalid_scope, an access-token audience (Hydra 2.x mode)
 * invalid_request, as Hydra (fosite) refuses a refresh. Nothing is used, so
 * the code or token works again should the registration allow it again.
 */
export async function refuseWithdrawn(
  services: Services,
  client: Client,
  grant: { grantId: string; scopes: string[] },
): Promise<void> {
  const withdrawn = grant.scopes.filter((scope) => !scopeAllowedToClient(client.scopes, scope));
  if (withdrawn.length > 0) {
    throw new InvalidScope(`The client may no longer request ${withdrawn.join(" ")}`);
  }
  if (services.config.hydra2Flow) {
    const granted = (await services.authorizationGrants.find(grant.grantId))?.audience ?? [];
    const refused = granted.filter((audience) => !client.audience.includes(audience));
    if (refused.length > 0) {
      throw new InvalidRequest(`The client may no longer use the audience ${refused.join(" ")}`);
    }
  }
}
