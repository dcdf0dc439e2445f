import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";
import { OPENID_SCOPE, splitScopes } from "@/server/oauth2/scopes.ts";

/** RFC 8252 §7.3 (§8.3: IP literals, not `localhost`), as fosite's isLoopbackAddress. */
const LOOPBACK_IP_LITERALS = new Set(["127.0.0.1", "[::1]"]);

/**
 * RFC 8252 §7.3: a native app listens on whatever loopback port it can open,
 * so a registered `http://127.0.0.1/cb` (or `[::1]`, with any port or none)
 * matches that URI on any port — and only that: scheme, host, path and query
 * stay exact, and the given URI must be written as a URL parser writes it
 * (no userinfo, no fragment, no dot segments), as a registered one is.
 * Hydra 2.x's fosite (isMatchingAsLoopback) does the same.
 */
function matchesAsLoopback(given: string, registered: string): boolean {
  if (!URL.canParse(given) || !URL.canParse(registered)) return false;
  const requested = new URL(given);
  const candidate = new URL(registered);
  return (
    requested.href === given &&
    !given.includes("#") &&
    requested.protocol === "http:" &&
    candidate.protocol === "http:" &&
    LOOPBACK_IP_LITERALS.has(requested.hostname) &&
    requested.hostname === candidate.hostname &&
    requested.username === "" &&
    requested.password === "" &&
    requested.pathname === candidate.pathname &&
    requested.search === candidate.search
  );
}

/**
 * RFC 6749 §3.1.2.3 and OAuth 2.0 Security BCP §4.1.3: the redirect URI is
 * one the client registered, compared as a whole string; only a client with
 * exactly one may leave it out, and only from a plain OAuth 2.0 request: an
 * OpenID Connect request (scope `openid`) must name it (OpenID Connect Core
 * §3.1.2.1, as Hydra 2.x's fosite; the OpenID Foundation's
 * oidcc-ensure-redirect-uri-in-authorization-request). In Hydra 2.x mode a loopback IP redirect URI
 * may name any port (RFC 8252 §7.3, as Hydra 2.x); the 2017 face matches
 * exactly, as its contract says. Failing here, the error is shown to the
 * user: sending it to an unverified URI would make us an open redirector.
 */
export const redirectUri: AuthorizationCheck = (context) => {
  const { params } = context;
  const registered = context.client?.redirectUris ?? [];
  if (params.repeated.has("redirect_uri")) throw new InvalidRequest("redirect_uri was sent more than once");
  const given = params.get("redirect_uri");
  if (given === undefined) {
    if (splitScopes(params.get("scope")).includes(OPENID_SCOPE)) {
      throw new InvalidRequest("redirect_uri is required in an OpenID Connect request");
    }
    if (registered.length !== 1) {
      throw new InvalidRequest("redirect_uri is required: the client has not registered exactly one");
    }
    context.redirectUri = registered[0];
    context.redirectUriGiven = false;
    return;
  }
  const anyLoopbackPort = context.services.config.hydra2Flow !== undefined;
  if (
    !registered.includes(given) &&
    !(anyLoopbackPort && registered.some((uri) => matchesAsLoopback(given, uri)))
  ) {
    throw new InvalidRequest("redirect_uri is not one the client registered");
  }
  context.redirectUri = given;
  context.redirectUriGiven = true;
};
