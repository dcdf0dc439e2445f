import "server-only";
import { accountHydra, HydraError } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";

/**
 * Tells the server that sessions ended here — one by its public `sid`, or
 * every session of a person (`subject`) — so the apps they signed in to are
 * sent a logout token: a sign-out, "sign out everywhere", a password change
 * or reset, a sign-in that replaced another person's session. Never awaited
 * by what ended them and never fails it: at worst those apps learn of it
 * later. A session that merely expired is not reported (README, Back-Channel
 * Logout).
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
