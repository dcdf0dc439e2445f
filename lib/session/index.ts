import "server-only";
import { cookies } from "next/headers";
import { appConfig } from "@/lib/config/index.ts";
import { type User, users } from "@/lib/users/index.ts";
import {
  anonymousSession,
  type SessionData,
  sealSession,
  sessionCookieName,
  sessionCookieOptions,
  signedInSession,
  unsealSession,
} from "./seal.ts";

/**
 * This request's session. The proxy gives every page request one, so a
 * missing or unreadable cookie here means a request that bypassed it; such a
 * request gets a throwaway anonymous session, whose CSRF token nothing holds.
 */
export async function currentSession(): Promise<SessionData> {
  const { cookieSecret, secureCookies } = appConfig();
  const seal = (await cookies()).get(sessionCookieName(secureCookies))?.value;
  return (await unsealSession(seal, cookieSecret)) ?? anonymousSession();
}

/** The signed-in user, or null (never signed in, signed out, or the account was deleted). */
export async function currentUser(): Promise<(User & { authTime: number }) | null> {
  const session = await currentSession();
  if (!session.user) return null;
  const user = await users().findById(session.user.sub);
  return user && { ...user, authTime: session.user.authTime };
}

async function save(session: SessionData): Promise<void> {
  const { cookieSecret, secureCookies } = appConfig();
  (await cookies()).set(
    sessionCookieName(secureCookies),
    await sealSession(session, cookieSecret),
    sessionCookieOptions(session, secureCookies),
  );
}

/** A new session for the user, with a new CSRF token (no session fixation). Server actions only. */
export async function signIn(sub: string, persistent: boolean): Promise<void> {
  await save(signedInSession(sub, persistent));
}

/** Back to an anonymous session with a new CSRF token. Server actions only. */
export async function signOut(): Promise<void> {
  await save(anonymousSession());
}
