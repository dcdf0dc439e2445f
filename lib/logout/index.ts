import "server-only";
import { appConfig } from "@/lib/config/index.ts";
import { hydra, type LogoutRequest } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { isAllowedRedirect } from "@/lib/security/redirects.ts";
import { endSession, type SignedInUser, signOut } from "@/lib/session/index.ts";
import { reportSessionsEnded } from "./report.ts";

export { reportSessionsEnded } from "./report.ts";

/** Where a finished sign-out lands when the relying party named no post-logout URI. */
export const SIGNED_OUT_PAGE = "/logout/done";

/** Whether a sign-out may end without asking: nobody is signed in, or the app's hint names this person. */
export function confirmationNeeded(request: LogoutRequest, user: SignedInUser | null): boolean {
  return user !== null && request.subject !== user.id;
}

/**
 * The session a sign-out ends. The signed-in person's, in this browser.
 * With nobody signed in here, the session the relying party's id_token_hint
 * names (RP-Initiated Logout 1.0 §2: the hint indicates whom the app asks to
 * log out), wherever that person is signed in — so the apps are told only
 * of a session that really ended, and it did. None when the request names
 * no session or it has already ended: then nothing ends and nobody is told.
 */
async function sessionToEnd(
  request: LogoutRequest,
  user: SignedInUser | null,
): Promise<{ subject: string; sid: string } | undefined> {
  if (user) return { subject: user.id, sid: user.sid };
  if (!request.subject || !request.sid) return undefined;
  const ended = await endSession(request.subject, request.sid);
  return ended ? { subject: request.subject, sid: request.sid } : undefined;
}

/**
 * Ends a sign-out a relying party started: the server records which session
 * ended (and tells the apps it signed in to, in the background), and the
 * session ends here. This browser's own session ends after the server
 * accepted, so a replayed confirmation fails (409) before anything changes;
 * a session the hint named ends before, since only a session that ended is
 * reported — should the server then refuse (another tab took the decision
 * first), the apps are told of it all the same. The next stop is the
 * server's (on to the registered post-logout URI) or this app's "You are
 * signed out" page — never anywhere else.
 */
export async function finishLogout(request: LogoutRequest, user: SignedInUser | null): Promise<string> {
  const ended = await sessionToEnd(request, user);
  let redirectTo: string | undefined;
  try {
    ({ redirectTo } = await hydra().acceptLogoutRequest(request.id, ended ?? {}));
  } catch (error) {
    if (ended && !user) reportSessionsEnded({ sid: ended.sid });
    throw error;
  }
  if (user) await signOut();
  log().info("signed out at a relying party's request", {
    client: request.audience ?? null,
    ...(user ? {} : { endedHintedSession: ended !== undefined }),
  });
  return redirectTo && isAllowedRedirect(redirectTo, appConfig().redirectOrigins)
    ? redirectTo
    : SIGNED_OUT_PAGE;
}
