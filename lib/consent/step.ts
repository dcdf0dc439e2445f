import "server-only";
import { randomBytes } from "node:crypto";
import { appConfig } from "@/lib/config/index.ts";
import { failureStatus, HydraError } from "@/lib/hydra/index.ts";
import { securityHeaders } from "@/lib/security/headers.ts";
import { sessionSeal, signedInUser } from "@/lib/session/signed-in.ts";
import { decideConsent } from "./decide.ts";
import { failedParam } from "./decisions.ts";
import { answerSkippedConsent, loadHydraConsent, stepProblem } from "./hydra2.ts";
import { parseChallenge, parseConsentId } from "./ids.ts";

/**
 * GET /consent: where the server sends the browser for the consent step
 * (CONSENT_URL, or URLS_CONSENT for Hydra 2.x). Most visits need no screen at
 * all — nobody signed in yet, a remembered decision, a trusted client,
 * prompt=none, or Hydra 2.x's `skip` — so this only decides and redirects.
 * When the person has to decide, or the request cannot be used, the browser
 * goes on to the consent screen (/consent/ask), which decides again and
 * shows it — but for a failure of the API, which the screen is told
 * (`?failed=`, see failedParam) rather than waiting for the API again.
 *
 * A plain Web handler: the server runs it before Next.js (lib/routes.ts),
 * because every sign-in passes here and a Next.js request costs milliseconds
 * of CPU before any of this runs; Next.js serves it too (the route handler
 * app/(auth)/consent/route.ts), for `next dev`.
 */
export async function consentStep(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const params = url.searchParams;
  // `failed` is this step's to set (below), never carried on from the URL.
  if (params.has("failed")) params.delete("failed");
  const toScreen = `/consent/ask${url.search}`;
  // A Next.js prefetch or client-side transition must never answer for the person.
  const act = !request.headers.has("rsc") && !request.headers.has("next-router-prefetch");
  const failed = (value: string | undefined) => {
    if (!value) return toScreen;
    const query = new URLSearchParams(params);
    query.set("failed", value);
    return `/consent/ask?${query}`;
  };
  const challenge = parseChallenge(params.get("consent_challenge") ?? undefined);
  if (challenge) {
    if (!act) return seeOther(toScreen);
    const skipped = await skippedHydraConsent(challenge);
    return seeOther(typeof skipped === "string" ? skipped : failed(skipped?.failed));
  }
  const id = parseConsentId(params.get("consent") ?? undefined);
  if (!id) return seeOther(toScreen);
  const user = await signedInUser(sessionSeal(request.headers.get("cookie")));
  const outcome = await decideConsent(id, user, { accountChosen: params.get("account") === "current", act });
  if (outcome.kind === "redirect") return seeOther(outcome.to);
  return seeOther(outcome.kind === "problem" ? failed(failedParam(outcome.problem)) : toScreen);
}

/**
 * Hydra 2.x says `skip` when a remembered decision covers the request or the
 * client is trusted: every requested scope and audience is granted, and the
 * browser goes back. Anything else is for the consent screen: a failure of
 * the API (logged here) with its `?failed=` value, so the screen does not ask
 * again; any other problem, which the screen finds again and explains.
 */
async function skippedHydraConsent(challenge: string): Promise<string | { failed?: string } | undefined> {
  try {
    return await answerSkippedConsent(await loadHydraConsent(challenge));
  } catch (error) {
    if (!(error instanceof HydraError) || failureStatus(error) === undefined) return undefined;
    return { failed: failedParam(stepProblem(error, challenge)) };
  }
}

/** A redirect with the headers every page of the app carries (they matter little without a body). */
function seeOther(location: string): Response {
  const nonce = randomBytes(18).toString("base64");
  return new Response(null, {
    status: 303,
    headers: { ...securityHeaders(nonce, appConfig().secureCookies), location },
  });
}
