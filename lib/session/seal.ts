import { randomBytes } from "node:crypto";
import { sealData, unsealData } from "iron-session";
import { z } from "zod";

/**
 * The app's session: one iron-session sealed (encrypted and signed) cookie.
 * Every visitor has one, signed in or not, because it carries the CSRF token
 * every form is checked against. Signing in or out replaces it, token included.
 */
export const sessionData = z.object({
  /** The CSRF token that every form of this session must send back. */
  csrf: z.string().min(32),
  user: z
    .object({
      /** The user's id: the `sub` of their tokens. */
      sub: z.string().min(1),
      /** When they entered their password, in seconds since the epoch. */
      authTime: z.number().int(),
      /** "Remember me": a 30-day cookie instead of a browser-session one. */
      persistent: z.boolean(),
    })
    .optional(),
});
export type SessionData = z.output<typeof sessionData>;

export const REMEMBER_ME_SECONDS = 30 * 24 * 3600;
/** A browser-session cookie has no expiry of its own; its seal still lapses after this. */
export const BROWSER_SESSION_SECONDS = 12 * 3600;

/** `__Host-` makes the browser refuse the cookie unless Secure, host-only and Path=/. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-portico-session" : "portico-session";
}

export function anonymousSession(): SessionData {
  return { csrf: randomBytes(32).toString("base64url") };
}

export function signedInSession(sub: string, persistent: boolean, now = new Date()): SessionData {
  return {
    ...anonymousSession(),
    user: { sub, authTime: Math.floor(now.getTime() / 1000), persistent },
  };
}

function lifetimeSeconds(session: SessionData): number {
  return session.user?.persistent ? REMEMBER_ME_SECONDS : BROWSER_SESSION_SECONDS;
}

export function sealSession(session: SessionData, secret: string): Promise<string> {
  return sealData(session, { password: secret, ttl: lifetimeSeconds(session) });
}

/** The session in a cookie, or undefined when it is missing, forged, expired or malformed. */
export async function unsealSession(
  seal: string | undefined,
  secret: string,
): Promise<SessionData | undefined> {
  if (!seal) return undefined;
  const data = await unsealData(seal, { password: secret }).catch(() => ({}));
  const parsed = sessionData.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/** HttpOnly, SameSite=Lax, Secure on https; persistent only with "Remember me". */
export function sessionCookieOptions(session: SessionData, secure: boolean) {
  return {
    httpOnly: true,
    sameSite: "lax" as const,
    secure,
    path: "/",
    ...(session.user?.persistent ? { maxAge: REMEMBER_ME_SECONDS } : {}),
  };
}
