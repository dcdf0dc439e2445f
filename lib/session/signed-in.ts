import "server-only";
import { parse } from "hono/utils/cookie";
import { appConfig } from "@/lib/config/index.ts";
import { db } from "@/lib/db/index.ts";
import { findUser } from "@/lib/users/find.ts";
import type { User } from "@/lib/users/store.ts";
import { sessionCookieName, unsealSession } from "./seal.ts";
import { SessionStore } from "./store.ts";

/**
 * Who a request's session cookie signs in, without Next.js's request context:
 * the pages reach it through currentUser() (lib/session/index.ts), and the
 * consent step's redirect, which runs without Next.js, through the request's
 * Cookie header.
 */

/** The signed-in person with the session they are signed in through. */
export type SignedInUser = User & {
  /** When they entered their password for this session, in seconds since the epoch. */
  authTime: number;
  /** The session's public id (the OpenID Connect `sid`). */
  sid: string;
  /** "Remember me" was ticked for this session. */
  persistent: boolean;
  amr: string[];
  /** The consent request this browser's sign-in was made for, if it was made for one. */
  signedInFor?: string;
};

let store: SessionStore | undefined;

export function sessions(): SessionStore {
  store ??= new SessionStore(db());
  return store;
}

/** The session cookie's sealed value in a Cookie header, if there is one. */
export function sessionSeal(cookieHeader: string | null): string | undefined {
  if (!cookieHeader) return undefined;
  const name = sessionCookieName(appConfig().secureCookies);
  return parse(cookieHeader, name)[name];
}

/**
 * The person a sealed session cookie signs in, or null: never signed in,
 * signed out (here or from another device), session expired, or account
 * deleted. The session record is looked up every time, so a copied cookie is
 * worth nothing once its session has ended.
 */
export async function signedInUser(seal: string | undefined): Promise<SignedInUser | null> {
  const { cookieSecret, previousCookieSecrets } = appConfig();
  const cookie = (await unsealSession(seal, cookieSecret, previousCookieSecrets))?.session;
  if (!cookie) return null;
  const session = await sessions().findActive(cookie.id);
  if (!session) return null;
  const user = await findUser(session.userId);
  if (!user) return null;
  return {
    ...user,
    authTime: Math.floor(session.authTime.getTime() / 1000),
    sid: session.sid,
    persistent: session.persistent,
    amr: session.amr,
    signedInFor: cookie.forRequest,
  };
}
