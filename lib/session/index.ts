import "server-only";
import { cookies, headers } from "next/headers";
import { cache } from "react";
import { appConfig } from "@/lib/config/index.ts";
import { reportSessionsEnded } from "@/lib/logout/report.ts";
import { clientAddress } from "@/lib/security/client-address.ts";
import {
  anonymousSession,
  type SessionData,
  sealSession,
  sessionCookieName,
  sessionCookieOptions,
  signedInSession,
  unsealSession,
} from "./seal.ts";
import { type SignedInUser, sessions, signedInUser } from "./signed-in.ts";
import { type AppSession, PasswordChanged } from "./store.ts";

export type { SignedInUser } from "./signed-in.ts";
export type { AppSession } from "./store.ts";

/**
 * This request's session. The pages' front (lib/front.ts) gives every page request one, so a
 * missing or unreadable cookie here means a request that bypassed it; such a
 * request gets a throwaway anonymous session, whose CSRF token nothing holds.
 */
export async function currentSession(): Promise<SessionData> {
  const { cookieSecret, previousCookieSecrets, secureCookies } = appConfig();
  const seal = (await cookies()).get(sessionCookieName(secureCookies))?.value;
  return (await unsealSession(seal, cookieSecret, previousCookieSecrets)) ?? anonymousSession();
}

/**
 * The signed-in person, or null (see signedInUser). React-cached: one
 * lookup per request however many components ask.
 */
export const currentUser = cache(async (): Promise<SignedInUser | null> => {
  const { secureCookies } = appConfig();
  return signedInUser((await cookies()).get(sessionCookieName(secureCookies))?.value);
});

async function save(session: SessionData): Promise<void> {
  const { cookieSecret, secureCookies } = appConfig();
  (await cookies()).set(
    sessionCookieName(secureCookies),
    await sealSession(session, cookieSecret),
    sessionCookieOptions(session, secureCookies),
  );
}

/** How a person signed in (see signIn). */
export interface SignInOptions {
  /** "Remember me": a cookie (and session) that outlives the browser. */
  persistent: boolean;
  /** How the person authenticated (RFC 8176 values); `["pwd"]` when not given. */
  amr?: string[];
  /** The consent request the person signed in for, so that request knows this sign-in as its own. */
  forRequest?: string;
  /**
   * The hash the password was checked against: when the password changed since (the password given
   * is no longer the account's), nothing is stored, this browser's session stays as it was, and
   * signIn answers undefined. Without it (a sign-in by other means), no such check.
   */
  passwordHash?: string;
}

/**
 * Signs the person in: a new cookie with a new secret session id and a new
 * CSRF token (no session fixation), and a session record with this browser's
 * user agent and address (for the person's list of sessions). When this
 * browser's session was the same person's, it goes on under its public
 * `sid` (re-authentication, "Confirm password"), so the apps it signed in to
 * keep their sessions; another person's session ends, and the server hears
 * of it (back-channel logout), as it does of the person's least recently
 * used sessions a new one ends past MAX_SESSIONS_PER_PERSON. Answers
 * undefined, storing nothing, when the password changed since it was checked
 * (see SignInOptions.passwordHash). Server actions only.
 */
export async function signIn(
  userId: string,
  { persistent, amr = ["pwd"], forRequest, passwordHash }: SignInOptions,
): Promise<AppSession | undefined> {
  const previous = (await currentSession()).session;
  const requestHeaders = await headers();
  let started: Awaited<ReturnType<ReturnType<typeof sessions>["signIn"]>>;
  try {
    started = await sessions().signIn(previous?.id, {
      userId,
      persistent,
      amr,
      userAgent: requestHeaders.get("user-agent") ?? "",
      ipAddress: clientAddress(requestHeaders, appConfig().trustedProxies) ?? "",
      passwordHash,
    });
  } catch (error) {
    if (error instanceof PasswordChanged) return undefined;
    throw error;
  }
  const { secretId, session, ended, trimmed } = started;
  for (const gone of ended ? [ended, ...trimmed] : trimmed) reportSessionsEnded({ sid: gone.sid });
  await save(signedInSession(secretId, persistent, forRequest));
  return session;
}

/** Ends this browser's session (the record too) and starts an anonymous one. Server actions only. */
export async function signOut(): Promise<void> {
  const previous = (await currentSession()).session;
  if (previous) await sessions().delete(previous.id);
  await save(anonymousSession());
}

/** The person's live sessions, most recently used first. */
export function listSessions(userId: string): Promise<AppSession[]> {
  return sessions().list(userId);
}

/** Ends one of the person's live sessions, named by its public `sid`; false if they have none such. */
export function endSession(userId: string, sid: string): Promise<boolean> {
  return sessions().end(userId, sid);
}

/** Ends every session of the person except the one with `keepSid` (usually the current one). */
export function endOtherSessions(userId: string, keepSid: string): Promise<number> {
  return sessions().endOthers(userId, keepSid);
}

/** Ends every session of the person (account deletion, "sign out everywhere"). */
export function endAllSessions(userId: string): Promise<number> {
  return sessions().endAll(userId);
}
