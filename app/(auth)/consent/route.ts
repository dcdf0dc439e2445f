import type { NextRequest } from "next/server";
import { decideConsent } from "@/lib/consent/decide.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";

export const dynamic = "force-dynamic";

/**
 * Where /oauth2/auth sends the browser (CONSENT_URL). Most visits need no
 * screen at all — a signed-in person with a remembered decision, a trusted
 * client, prompt=none, or nobody signed in yet — so this is a route handler
 * that only redirects, not a page: rendering a page costs several times
 * more. When the person has to decide, or the request cannot be used, the
 * browser goes on to the consent screen (/consent/ask), which shows it.
 */
export async function GET(request: NextRequest): Promise<Response> {
  const params = request.nextUrl.searchParams;
  const id = parseConsentId(params.get("consent") ?? undefined);
  const toScreen = `/consent/ask${request.nextUrl.search}`;
  if (!id) return seeOther(toScreen);
  // A Next.js prefetch or client-side transition must never answer for the person.
  const act = !request.headers.has("rsc") && !request.headers.has("next-router-prefetch");
  const outcome = await decideConsent(id, { accountChosen: params.get("account") === "current", act });
  return seeOther(outcome.kind === "redirect" ? outcome.to : toScreen);
}

function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}
