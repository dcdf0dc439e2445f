import type { MiddlewareHandler } from "hono";

/**
 * CORS for the endpoints a browser-based app calls from its own origin (a
 * single-page app is a public client: discovery, the JWK set, the code
 * exchange and refresh, revocation, UserInfo). None of them reads a cookie —
 * each takes what it needs from the request itself (a code and its PKCE
 * verifier, a token, client credentials in a header) — so any origin may call
 * them, and never with credentials: a page of another site can do nothing
 * here that a server of its own could not. The admin endpoints, the
 * authorization endpoint and the pages send none of this.
 */
export const PUBLIC_CORS = {
  "access-control-allow-origin": "*",
  // What a client reads beyond the body: the challenge of a 401, the wait of a 429.
  "access-control-expose-headers": "www-authenticate, retry-after",
} as const;

/** The answer to a CORS preflight of an endpoint answering `methods` (comma-separated). */
export function corsPreflight(methods: string): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...PUBLIC_CORS,
      "access-control-allow-methods": methods,
      "access-control-allow-headers": "authorization, content-type",
      "access-control-max-age": "600",
    },
  });
}

/** Adds PUBLIC_CORS to every answer of the routes it is used on, errors included. */
export const publicCors: MiddlewareHandler = async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(PUBLIC_CORS)) c.res.headers.set(name, value);
};
