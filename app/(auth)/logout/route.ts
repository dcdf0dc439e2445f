import { appConfig } from "@/lib/config/index.ts";
import { consentProblem, failedParam } from "@/lib/consent/decisions.ts";
import { consentId } from "@/lib/consent/ids.ts";
import { failureStatus, HydraError, hydra } from "@/lib/hydra/index.ts";
import { confirmationNeeded, finishLogout } from "@/lib/logout/index.ts";
import { currentUser } from "@/lib/session/index.ts";

/** A 303 to a page of this app or the server, built from ISSUER (never from Host). */
function seeOther(target: string): Response {
  const location = target.startsWith("/") ? new URL(target, appConfig().issuer).toString() : target;
  return new Response(null, {
    status: 303,
    headers: { location, "cache-control": "no-store", "referrer-policy": "no-referrer" },
  });
}

/**
 * GET /logout?logout=<id>: where the end-session endpoint sends the browser
 * (`?logout_challenge=` from Hydra 2.x goes straight to the confirmation page).
 * A route handler rather than a page, because ending the session sets a
 * cookie. Without a confirmation to ask for (nobody is signed in — then the
 * session the hint names ends, wherever it is — or the app's id_token_hint
 * names the signed-in person) the sign-out ends here; otherwise — and for
 * every problem, which the page explains — the browser goes on to the
 * confirmation page.
 */
export async function GET(request: Request): Promise<Response> {
  const query = new URL(request.url).searchParams;
  // Hydra 2.x (logout_challenge): the confirmation page asks, as Hydra's reference app does.
  if (query.has("logout_challenge")) {
    return seeOther(
      `/logout/confirm?${new URLSearchParams({ logout_challenge: query.get("logout_challenge") ?? "" })}`,
    );
  }
  const parsed = consentId.safeParse(query.get("logout"));
  if (!parsed.success) return seeOther("/logout/confirm");
  const id = parsed.data;
  const confirm = `/logout/confirm?logout=${encodeURIComponent(id)}`;
  try {
    const logout = await hydra().getLogoutRequest(id);
    const user = await currentUser();
    if (confirmationNeeded(logout, user)) return seeOther(confirm);
    return seeOther(await finishLogout(logout, user));
  } catch (error) {
    if (!(error instanceof HydraError)) throw error;
    // A failure of the API goes on to the page with it (`failed`), so the page does not wait again.
    const failed = failureStatus(error) && failedParam(consentProblem(error, id));
    return seeOther(failed ? `${confirm}&failed=${failed}` : confirm);
  }
}
