import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";

/**
 * The cookie that binds a consent request to the browser that started it.
 * One per request (named after its id), so flows in two tabs do not undo
 * each other; scoped to /oauth2/auth, the only path that reads it; Lax, so
 * the top-level return from the consent app carries it.
 */
const PREFIX = "portico_consent_";

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
  return cookie(id, value, maxAgeSeconds, secure);
}

export function clearedBindingCookie(id: string, secure: boolean): string {
  return cookie(id, "", 0, secure);
}

export function readBindingCookie(c: Context, id: string): string | undefined {
  return getCookie(c, `${PREFIX}${id}`) || undefined;
}
