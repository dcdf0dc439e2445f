import type { NextRequest } from "next/server";
import { decideConsent } from "@/lib/consent/decide.ts";
import { answerSkippedConsent, loadHydraConsent } from "@/lib/consent/hydra2.ts";
import { parseChallenge, parseConsentId } from "@/lib/consent/ids.ts";

export const dynamic = "force-dynamic";

/**
 * Where the server sends the browser for the consent step (CONSENT_URL, or
 * URLS_CONSENT for Hydra 2.x). Most visits need no screen at all — nobody
 * signed in yet, a remembered decision, a trusted client, prompt=none, or
 * Hydra 2.x's `skip` — so this is a route handler that only redirects, not a
 * page: rendering a page costs several times more. When the person has to
 * decide, or the request cannot be used, the browser goes on to the consent
 * screen (/consent/ask), which decides again and shows it.
 */
export async function GET(request: NextRequest): Promise<Response> {
  const params = request.nextUrl.searchParams;
  const toScreen = `/consent/ask${request.nextUrl.search}`;
  // A Next.js prefetch or client-side transition must never answer for the person.
  const act = !request.headers.has("rsc") && !request.headers.has("next-router-prefetch");
  const challenge = parseChallenge(params.get("consent_challenge") ?? undefined);
  if (challenge) return seeOther((act && (await skippedHydraConsent(challenge))) || toScreen);
  const id = parseConsentId(params.get("consent") ?? undefined);
  if (!id) return seeOther(toScreen);
  const outcome = await decideConsent(id, { accountChosen: params.get("account") === "current", act });
  return seeOther(outcome.kind === "redirect" ? outcome.to : toScreen);
}

/**
 * Hydra 2.x says `skip` when a remembered decision covers the request or the
 * client is trusted: every requested scope and audience is granted, and the
 * browser goes back. Anything else (or a failure, which the screen explains)
 * is for the consent screen.
 */
async function skippedHydraConsent(challenge: string): Promise<string | undefined> {
  try {
    return await answerSkippedConsent(await loadHydraConsent(challenge));
  } catch {
    return undefined;
  }
}

function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}
