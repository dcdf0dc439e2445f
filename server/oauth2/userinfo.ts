import type { Context } from "hono";
import { corsPreflight, PUBLIC_CORS } from "@/server/http/cors.ts";
import type { Services } from "@/server/services.ts";
import { releasedClaims } from "./claims.ts";
import { OAuthError, safeDescription } from "./errors.ts";
import { readForm } from "./form.ts";
import { OPENID_SCOPE } from "./scopes.ts";

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * RFC 6750 §3: the error in WWW-Authenticate (and, for clients that read bodies, in JSON). The
 * description may name a parameter the client sent, so only §3's characters go into the header.
 */
function bearerError(
  status: 400 | 401 | 403 | 413 | 415,
  error: string,
  description: string,
  scope?: string,
): Response {
  const challenge = [`Bearer error="${error}"`, `error_description="${safeDescription(description)}"`];
  if (scope) challenge.push(`scope="${scope}"`);
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "www-authenticate": challenge.join(", "),
      ...PUBLIC_CORS,
      ...NO_STORE,
    },
  });
}

/**
 * RFC 6750 §3.1: a request without any bearer token (none at all, or
 * another scheme such as Basic) is told which scheme to use and nothing
 * else — no error code, so a client does not take it for a verdict on a
 * token it holds.
 */
function bearerChallenge(): Response {
  return new Response(null, {
    status: 401,
    headers: { "www-authenticate": 'Bearer realm="portico"', ...PUBLIC_CORS, ...NO_STORE },
  });
}

/**
 * RFC 6750 §2.1 header or §2.2 form body, never both; undefined when neither.
 * An Authorization header of another scheme carries no bearer token.
 */
async function presentedToken(c: Context): Promise<string | undefined | Response> {
  const header = c.req.header("authorization");
  const bearer = header !== undefined && /^Bearer(\s|$)/i.test(header);
  const fromHeader = bearer ? header?.match(/^Bearer ([\x21-\x7E]+)$/i)?.[1] : undefined;
  if (bearer && fromHeader === undefined) {
    return bearerError(401, "invalid_token", "The Authorization header is not a valid Bearer token");
  }
  let fromBody: string | undefined;
  if (
    c.req.method === "POST" &&
    /^application\/x-www-form-urlencoded/i.test(c.req.header("content-type") ?? "")
  ) {
    try {
      fromBody = (await readForm(c)).get("access_token");
    } catch (caught) {
      // A form that cannot be read (a parameter twice, U+0000, too large, compressed) is RFC 6750 §3.1's
      // invalid_request, told in WWW-Authenticate like every other error here, with CORS.
      if (!(caught instanceof OAuthError)) throw caught;
      const status = caught.status === 413 || caught.status === 415 ? caught.status : 400;
      return bearerError(status, "invalid_request", caught.description);
    }
  }
  if (fromHeader !== undefined && fromBody !== undefined) {
    return bearerError(400, "invalid_request", "Send the access token once: in the header or in the body");
  }
  return fromHeader ?? fromBody;
}

/**
 * GET and POST /userinfo (OpenID Connect Core §5.3). An active access token
 * a person granted with `openid` answers `sub` (the ID token's) and the
 * claims the person consented to for that grant, narrowed to the scopes this
 * token carries. A request with no bearer token is 401 with a bare
 * challenge. Any other token — unknown, expired, revoked, a refresh token,
 * one issued without an end user (client_credentials) — is 401
 * invalid_token; one without `openid` is 403 insufficient_scope.
 */
export async function userinfo(c: Context, services: Services): Promise<Response> {
  const presented = await presentedToken(c);
  if (presented instanceof Response) return presented;
  if (!presented) return bearerChallenge();
  const token = await services.accessTokens.findActive(presented);
  if (!token) return bearerError(401, "invalid_token", "The access token is invalid, expired or revoked");
  // Every token a person authorized belongs to the authorization grant their consent wrote; a
  // client_credentials token has none (its grant id is its own), so it speaks for no end user.
  const grant = await services.authorizationGrants.find(token.grantId);
  if (!grant) return bearerError(401, "invalid_token", "The access token was not issued to an end user");
  if (!token.scopes.includes(OPENID_SCOPE)) {
    return bearerError(403, "insufficient_scope", "The access token was not granted openid", OPENID_SCOPE);
  }
  const claims = releasedClaims(grant.claims, token.scopes);
  return new Response(JSON.stringify({ ...claims, sub: token.subject }), {
    headers: { "content-type": "application/json; charset=utf-8", ...PUBLIC_CORS, ...NO_STORE },
  });
}

/** The CORS preflight of /userinfo (server/http/cors.ts: any origin, never with credentials). */
export function userinfoPreflight(): Response {
  return corsPreflight("GET, POST");
}
