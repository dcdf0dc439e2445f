/**
 * The security headers of every page (login, consent, account, the demo).
 * The Content-Security-Policy is strict: scripts and styles run only with
 * this response's nonce (Next.js puts it on its own tags), nothing may frame
 * the page, and no plugins or <base> tricks.
 *
 * There is no `form-action`: browsers apply it to every redirect that
 * follows a form post, and a consent decision ends in a redirect to the
 * client's redirect_uri, which can be on any origin.
 */
export function contentSecurityPolicy(nonce: string, secure: boolean): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    // Client logos live on the clients' own sites.
    "img-src 'self' data: https:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    ...(secure ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

export function securityHeaders(nonce: string, secure: boolean): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy(nonce, secure),
    // RFC 6749 §10.13, for browsers that predate frame-ancestors.
    "x-frame-options": "DENY",
    // Consent URLs carry the request id: never leak them to another site.
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    ...(secure ? { "strict-transport-security": "max-age=31536000" } : {}),
  };
}
