import "server-only";
import { signInPage } from "@/lib/accounts/prompt-create.ts";
import { appConfig } from "@/lib/config/index.ts";
import { log } from "@/lib/log/index.ts";
import type { SignedInUser } from "@/lib/session/signed-in.ts";
import {
  acceptConsent,
  type ConsentProblem,
  consentProblem,
  loadConsent,
  type PendingConsent,
  rejectConsent,
} from "./decisions.ts";
import { grants } from "./index.ts";
import { consentStep } from "./steps.ts";

/** What the consent step of one request comes to for this browser. */
export type ConsentOutcome =
  /** Somewhere else first (the sign-in page), or the request is answered and the browser goes back. */
  | { kind: "redirect"; to: string }
  /** The person must decide: the consent screen. */
  | { kind: "ask"; pending: PendingConsent; user: SignedInUser }
  /** The request cannot be used (expired, answered, unknown, the server unreachable). */
  | { kind: "problem"; problem: ConsentProblem };

/**
 * Decides a consent request for `user`, the person signed in on this browser
 * (or null): the sign-in page when
 * the login step is not satisfied, an answer without any screen when a
 * remembered decision or a trusted client covers it (or prompt=none says no
 * screen may be shown), otherwise the consent screen. `act` says whether this
 * request may answer for the person: only the browser's own navigation may,
 * never a prefetch or a re-render.
 */
export async function decideConsent(
  id: string,
  user: SignedInUser | null,
  options: { accountChosen: boolean; act: boolean },
): Promise<ConsentOutcome> {
  let pending: PendingConsent;
  try {
    pending = await loadConsent(id);
    const { request, client } = pending;
    const remembered = user ? (await grants().find(user.id, request.audience))?.scopes : undefined;
    const step = consentStep({
      request,
      client,
      person: user,
      accountChosen: options.accountChosen,
      remembered,
    });
    if (step.kind === "sign_in") {
      const signupOpen = appConfig().signup === "open";
      return {
        kind: "redirect",
        to: signInPage({ consent: id, prompt: request.prompt, signedIn: user !== null, signupOpen }),
      };
    }
    if (step.kind === "reject" && options.act) {
      await rejectConsent(request, step.error);
      log().info("prompt=none answered without a page", { client: request.audience, error: step.error });
      return { kind: "redirect", to: request.redirectUrl };
    }
    if (step.kind === "accept" && options.act && user) {
      await acceptConsent(request, user, request.requestedScopes);
      log().info(
        step.because === "trusted"
          ? "consent skipped for a trusted client (skip_consent)"
          : "consent given from a remembered decision",
        { client: request.audience, scopes: request.requestedScopes },
      );
      return { kind: "redirect", to: request.redirectUrl };
    }
  } catch (error) {
    return { kind: "problem", problem: consentProblem(error, id) };
  }
  if (!user) return { kind: "redirect", to: `/login?consent=${encodeURIComponent(id)}` };
  return { kind: "ask", pending, user };
}
