import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";
import { responseParts } from "@/server/oauth2/response-types.ts";

const MAX_NONCE = 512;

/**
 * OpenID Connect Core §3.2.2.1 and §3.3.2.11: when this endpoint returns an
 * ID token (implicit and hybrid flows), `nonce` is required — it is what
 * binds that token to the client's session and defeats replay.
 */
export const nonce: AuthorizationCheck = (context) => {
  const value = context.params.get("nonce");
  if (value !== undefined && value.length > MAX_NONCE) {
    throw new InvalidRequest(`nonce may be at most ${MAX_NONCE} characters`);
  }
  if (value === undefined && context.responseType && responseParts(context.responseType).idToken) {
    throw new InvalidRequest(
      "nonce is required when an ID token is returned from the authorization endpoint",
    );
  }
  context.nonce = value;
};
