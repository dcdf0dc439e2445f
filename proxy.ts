import { type NextRequest, NextResponse } from "next/server";
import { appConfig } from "./lib/config/index.ts";
import { securityHeaders } from "./lib/security/headers.ts";
import {
  anonymousSession,
  sealSession,
  sessionCookieName,
  sessionCookieOptions,
  unsealSession,
} from "./lib/session/seal.ts";

/**
 * Runs before every page, server action and next-auth route (the API paths
 * never reach Next.js). It gives the response its security headers with a
 * fresh CSP nonce, which Next.js reads from the request's CSP and puts on
 * its own scripts, and it gives a visitor without a session an anonymous
 * one, so that the first form they see already carries a CSRF token.
 */
export async function proxy(request: NextRequest) {
  const { cookieSecret, secureCookies, issuer } = appConfig();
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const headers = securityHeaders(nonce, secureCookies);

  // A form post from another site (or from an opaque origin that is not this page's own) is
  // refused here with a plain 403; Next.js's own check would answer it with a 500.
  if (request.method === "POST" && !request.nextUrl.pathname.startsWith("/api/auth/")) {
    const origin = request.headers.get("origin");
    const site = request.headers.get("sec-fetch-site");
    const ownPage = origin === "null" && site === "same-origin";
    const crossSite = site !== null && site !== "same-origin";
    if ((origin !== null && origin !== new URL(issuer).origin && !ownPage) || crossSite) {
      return new NextResponse("This form must be sent from this site.\n", {
        status: 403,
        headers: { ...headers, "content-type": "text/plain; charset=utf-8" },
      });
    }
  }

  const cookieName = sessionCookieName(secureCookies);
  let newSession: { seal: string; options: ReturnType<typeof sessionCookieOptions> } | undefined;
  if (!(await unsealSession(request.cookies.get(cookieName)?.value, cookieSecret))) {
    const session = anonymousSession();
    newSession = {
      seal: await sealSession(session, cookieSecret),
      options: sessionCookieOptions(session, secureCookies),
    };
    // This request's own render must see the session its response creates.
    request.cookies.set(cookieName, newSession.seal);
  }

  const forwarded = new Headers(request.headers);
  forwarded.set("x-nonce", nonce);
  forwarded.set("content-security-policy", headers["content-security-policy"] as string);
  // Under `Referrer-Policy: no-referrer` browsers send `Origin: null` even on a page's own form
  // posts, which Next.js's server-action check refuses. Sec-Fetch-Site, which pages cannot set,
  // tells those apart from a cross-site post; only those get their origin back.
  if (
    request.method === "POST" &&
    request.headers.get("origin") === "null" &&
    request.headers.get("sec-fetch-site") === "same-origin"
  ) {
    forwarded.set("origin", new URL(issuer).origin);
  }
  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  if (newSession) response.cookies.set(cookieName, newSession.seal, newSession.options);
  return response;
}

export const config = {
  // Everything but build assets and the files under public/.
  matcher: ["/((?!_next/static|_next/image|brand/|demo/logo\\.svg|favicon\\.ico).*)"],
};
