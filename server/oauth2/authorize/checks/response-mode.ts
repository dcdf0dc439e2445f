import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";
import { defaultResponseMode, isResponseMode, isSafeResponseMode } from "@/server/oauth2/response-types.ts";

/**
 * OAuth 2.0 Multiple Response Types §2.1: `response_mode` may ask for
 * `query`, `fragment` or `form_post`, but never `query` for a response
 * carrying tokens.
 */
export const responseMode: AuthorizationCheck = (context) => {
  const requested = context.params.get("response_mode");
  if (requested === undefined) {
    context.responseMode = defaultResponseMode(context.responseType);
    return;
  }
  if (!isResponseMode(requested)) throw new InvalidRequest(`The response_mode ${requested} is not supported`);
  if (!isSafeResponseMode(requested, context.responseType)) {
    throw new InvalidRequest("Tokens are never sent in the query: use response_mode=fragment");
  }
  context.responseMode = requested;
};
