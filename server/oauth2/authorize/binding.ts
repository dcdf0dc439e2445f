import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";

/**
 * The cookie that binds a consent request to the browser that started it.
 * One per request (named after its id), so flows in two tabs do not undo
 * each other; scoped to /oauth2/auth, the only path that reads it; Lax, so
 * the top-level return from the consent app carries it.
 */
const PREFIX = "portico_consent_";

/**
 * The longest Max-Age a cookie may carry: 400 days, the most a browser keeps one (RFC 6265bis), and
 * the most Hono writes (it throws beyond). A CHALLENGE_TOKEN_LIFESPAN may be longer (up to
 * MAX_LIFESPAN): its binding cookie then lives 400 days, where it made every authorization request
 * a server_error.
 */
export const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 3600;

/** Consent ids are base64url; anything else is not one (and never becomes a cookie name). */
export function isConsentId(value: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(value);
}

function cookie(id: string, value: string, maxAge: number, secure: boolean): string {
  return generateCookie(`${PREFIX}${id}`, value, {
    path: "/oauth2/auth",
    maxAge,
    httpOnly: true,
    sameSite: "Lax",
    secure,
  });
}

export function bindingCookie(id: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return cookie(id, value, Math.min(maxAgeSeconds, MAX_COOKIE_AGE_SECONDS), secure);
}

export function clearedBindingCookie(id: string, secure: boolean): string {
  return cookie(id, "", 0, secure);
}

export function readBindingCookie(c: Context, id: string): string | undefined {
  return getCookie(c, `${PREFIX}${id}`) || undefined;
}

/**
 * How many binding cookies a browser keeps at most. Each flow sets one; a
 * page that forces many navigations to /oauth2/auth could otherwise push the
 * browser's Cookie header past the server's header limit (431 for that
 * person until they expire).
 */
const MAX_BINDING_COOKIES = 5;

/**
 * Clearing cookies for the oldest bindings the browser sent, so that with
 * the one about to be set it keeps at most MAX_BINDING_COOKIES. Browsers
 * send cookies of one path oldest first (RFC 6265 §5.4), so those go first;
 * their flows, if anyone still needed them, just start over.
 */
export function evictedBindingCookies(c: Context, secure: boolean): string[] {
  const ids = (c.req.header("cookie") ?? "")
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part.startsWith(PREFIX))
    .map((part) => part.slice(PREFIX.length, part.indexOf("=") < 0 ? undefined : part.indexOf("=")))
    .filter(isConsentId);
  const excess = ids.length - (MAX_BINDING_COOKIES - 1);
  return excess > 0 ? ids.slice(0, excess).map((id) => clearedBindingCookie(id, secure)) : [];
}
