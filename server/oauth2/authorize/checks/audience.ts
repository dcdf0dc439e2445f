import type { Client } from "@/server/clients/model.ts";
import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";

const MAX_AUDIENCES = 20;

/** The `audience` an authorization request asks the access token for: space-separated, no repeats. */
export function requestedAudience(value: string | undefined): string[] {
  return [...new Set((value ?? "").split(" ").filter(Boolean))];
}

/**
 * The audience a request asks for (`audience`, space-separated), each value
 * one of the client's registered `audience` values, compared as whole
 * strings; otherwise invalid_request, as Hydra's audience strategy answers.
 */
export function allowedAudience(value: string | undefined, client: Client | undefined): string[] {
  const requested = requestedAudience(value);
  if (requested.length > MAX_AUDIENCES)
    throw new InvalidRequest(`audience may list at most ${MAX_AUDIENCES} values`);
  const allowed = client?.audience ?? [];
  const refused = requested.find((value) => !allowed.includes(value));
  if (refused !== undefined)
    throw new InvalidRequest(
      `Requested audience ${refused} has not been whitelisted by the OAuth 2.0 Client`,
    );
  return requested;
}

/**
 * Hydra 2.x's `audience` parameter (Hydra 2.x mode only; the 2017 API has
 * none and ignores it): every audience asked for must be one of the
 * client's registered `audience` values (allowedAudience). The app sees
 * them as `requested_access_token_audience` and grants some or all.
 */
export const audience: AuthorizationCheck = (context) => {
  if (!context.services.config.hydra2Flow) return;
  allowedAudience(context.params.get("audience"), context.client);
};
