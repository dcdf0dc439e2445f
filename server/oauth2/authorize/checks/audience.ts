import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";

const MAX_AUDIENCES = 20;

/** The `audience` an authorization request asks the access token for: space-separated, no repeats. */
export function requestedAudience(value: string | undefined): string[] {
  return [...new Set((value ?? "").split(" ").filter(Boolean))];
}

/**
 * Hydra 2.x's `audience` parameter (Hydra 2.x mode only; the 2017 API has
 * none and ignores it): every audience asked for must be one of the
 * client's registered `audience` values, compared as whole strings. The app
 * sees them as `requested_access_token_audience` and grants some or all.
 */
export const audience: AuthorizationCheck = (context) => {
  if (!context.services.config.hydra2Flow) return;
  const requested = requestedAudience(context.params.get("audience"));
  if (requested.length > MAX_AUDIENCES)
    throw new InvalidRequest(`audience may list at most ${MAX_AUDIENCES} values`);
  const allowed = context.client?.audience ?? [];
  const refused = requested.find((value) => !allowed.includes(value));
  if (refused !== undefined)
    throw new InvalidRequest(
      `Requested audience ${refused} has not been whitelisted by the OAuth 2.0 Client`,
    );
};
