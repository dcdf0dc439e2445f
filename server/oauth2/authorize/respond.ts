import { createHash } from "node:crypto";
import { type OAuthError, safeDescription } from "@/server/oauth2/errors.ts";
import type { ResponseMode } from "@/server/oauth2/response-types.ts";

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * A 302 built by hand: always 302, never 307 (a 307 would repeat a POST). `Referrer-Policy` keeps the
 * authorization URL, which may carry the consent verifier, out of the
 * Referer the next page receives.
 */
export function redirect(location: string, cookies: string[] = []): Response {
  const headers = new Headers({ location, "referrer-policy": "no-referrer", ...NO_STORE });
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 302, headers });
}

/**
 * The client's redirect URI with the response parameters in its query or
 * fragment (RFC 6749 §4.1.2, §4.2.2; Multiple Response Types §2.1). The
 * registered URI is kept verbatim, including any query of its own.
 */
function responseLocation(
  redirectUri: string,
  mode: Exclude<ResponseMode, "form_post">,
  values: Record<string, string | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined) params.set(name, value);
  if (mode === "fragment") return `${redirectUri}#${params}`;
  const separator = !redirectUri.includes("?") ? "?" : /[?&]$/.test(redirectUri) ? "" : "&";
  return `${redirectUri}${separator}${params}`;
}

/** Submits the form once the page has loaded; allowed by its hash in the page's CSP. */
const AUTO_SUBMIT = "document.forms[0].submit();";
const AUTO_SUBMIT_HASH = createHash("sha256").update(AUTO_SUBMIT).digest("base64");

/**
 * OAuth 2.0 Form Post Response Mode: a small page whose form POSTs the
 * response parameters to the redirect URI, submitted by a script the CSP
 * allows by its hash (nothing else may run), with a visible Continue button
 * for browsers without JavaScript. Never cached, never framed: it carries
 * codes and tokens. The CSP has no `form-action`: browsers hold every
 * redirect that follows the submission to it, so a client whose callback
 * redirects to another origin (its app on another host or port) would leave
 * the person on this page, the code already delivered and used. Nothing on
 * the page can add a form (every value is escaped, no other script runs).
 */
function formPost(
  redirectUri: string,
  values: Record<string, string | undefined>,
  cookies: string[] = [],
): Response {
  const inputs = Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("\n");
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Continue to the application</title></head>
<body>
<form method="post" action="${escapeHtml(redirectUri)}">
${inputs}
<p>Continuing to the application…</p>
<button type="submit">Continue</button>
</form>
<script>${AUTO_SUBMIT}</script>
</body>
</html>
`;
  const headers = new Headers({
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": `default-src 'none'; script-src 'sha256-${AUTO_SUBMIT_HASH}'; frame-ancestors 'none'; base-uri 'none'`,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...NO_STORE,
  });
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(body, { status: 200, headers });
}

/** The answer to the client in its response mode: a 302 for query and fragment, a page for form_post. */
export function respondToClient(
  redirectUri: string,
  mode: ResponseMode,
  values: Record<string, string | undefined>,
  cookies: string[] = [],
): Response {
  if (mode === "form_post") return formPost(redirectUri, values, cookies);
  return redirect(responseLocation(redirectUri, mode, values), cookies);
}

export function errorParameters(error: OAuthError): { error: string; error_description: string } {
  return { error: error.error, error_description: safeDescription(error.description) };
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] as string,
  );
}

/**
 * An error that cannot go to a client's redirect URI: with URLS_ERROR set,
 * a redirect there with `error` and `error_description` (as Hydra does, so
 * the login app can show it in its own pages); otherwise this server's
 * error page.
 */
export function errorAnswer(error: OAuthError, errorUrl: string | undefined, title?: string): Response {
  if (errorUrl === undefined) return errorPage(error, title);
  const target = new URL(errorUrl);
  target.searchParams.set("error", error.error);
  target.searchParams.set("error_description", error.description);
  return redirect(target.toString());
}

/**
 * What the user sees when the error may not be sent to the client (RFC 6749
 * §4.1.2.1): a small page that echoes no request input unescaped, may not be
 * framed and is never cached.
 */
export function errorPage(error: OAuthError, title = "The sign-in request could not be completed"): Response {
  // 413 is the parameter reader's (a body over 1 MiB); every other refusal of the request is a 400.
  const status = error.status >= 500 ? 500 : error.status === 413 ? 413 : 400;
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Authorization error</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p>The application that sent you here made a request this server cannot accept. Go back to the application and try again, or contact its developers.</p>
<p>Error: <code>${escapeHtml(error.error)}</code></p>
<p>${escapeHtml(error.description)}</p>
</main>
</body>
</html>
`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy":
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      ...NO_STORE,
    },
  });
}
