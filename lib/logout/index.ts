import "server-only";
import { appConfig } from "@/lib/config/index.ts";
import { accountHydra, HydraError, hydra, type LogoutRequest } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { isAllowedRedirect } from "@/lib/security/redirects.ts";
import { type SignedInUser, signOut } from "@/lib/session/index.ts";

/** Where a finished sign-out lands when the relying party named no post-logout URI. */
export const SIGNED_OUT_PAGE = "/logout/done";

/** Whether a sign-out may end without asking: nobody is signed in, or the app's hint names this person. */
export function confirmationNeeded(request: LogoutRequest, user: SignedInUser | null): boolean {
  return user !== null && request.subject !== user.id;
}

/**
 * Ends a sign-out a relying party started: the server first records that
 * this session ended (and tells the apps it signed in to, in the
 * background), then the session ends here. Accepting first means a replayed
 * confirmation fails (409) before anything changes. The next stop is the
 * server's (on to the registered post-logout URI) or this app's
 * "You are signed out" page — never anywhere else.
 */
export async function finishLogout(request: LogoutRequest, user: SignedInUser | null): Promise<string> {
  const { redirectTo } = await hydra().acceptLogoutRequest(
    request.id,
    user ? { subject: user.id, sid: user.sid } : {},
  );
  if (user) await signOut();
  log().info("signed out at a relying party's request", { client: request.audience ?? null });
  return redirectTo && isAllowedRedirect(redirectTo, appConfig().redirectOrigins)
    ? redirectTo
    : SIGNED_OUT_PAGE;
}

/**
 * Tells the server that sessions ended here (a sign-out, "sign out
 * everywhere"), so the apps they signed in to are told. Never awaited by the
 * sign-out and never fails it: at worst those apps learn of it later.
 */
export function reportSessionsEnded(ended: { sid: string } | { subject: string }): void {
  void accountHydra()
    .endLoginSessions(ended)
    .catch((error: unknown) => {
      log().warn("could not report ended sessions to the server", {
        ...(error instanceof HydraError ? error.details : { error: String(error) }),
      });
    });
}
