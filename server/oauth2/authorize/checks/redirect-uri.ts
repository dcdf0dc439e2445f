import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";

/**
 * RFC 6749 §3.1.2.3 and OAuth 2.0 Security BCP §4.1.3: the redirect URI is
 * one the client registered, compared as a whole string; only a client with
 * exactly one may leave it out. Failing here, the error is shown to the
 * user: sending it to an unverified URI would make us an open redirector.
 */
export const redirectUri: AuthorizationCheck = (context) => {
  const { params } = context;
  const registered = context.client?.redirectUris ?? [];
  if (params.repeated.has("redirect_uri")) throw new InvalidRequest("redirect_uri was sent more than once");
  const given = params.get("redirect_uri");
  if (given === undefined) {
    if (registered.length !== 1) {
      throw new InvalidRequest("redirect_uri is required: the client has not registered exactly one");
    }
    context.redirectUri = registered[0];
    context.redirectUriGiven = false;
    return;
  }
  if (!registered.includes(given)) {
    throw new InvalidRequest("redirect_uri is not one the client registered");
  }
  context.redirectUri = given;
  context.redirectUriGiven = true;
};
