/**
 * Where the browser may be sent after a consent decision: only to one of the
 * allowed origins (ISSUER's or HYDRA_URL's), over http(s). A redirect URL
 * from anywhere else, even from the API, is refused: no open redirects.
 */
export function isAllowedRedirect(url: string, allowedOrigins: readonly string[]): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  return /^https?:$/.test(parsed.protocol) && allowedOrigins.includes(parsed.origin);
}

/**
 * A path on this site to return to after signing in, or undefined. Only
 * local absolute paths qualify: no scheme, no `//host`, no backslashes.
 */
export function localReturnPath(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 2048) return undefined;
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return undefined;
  // URL parsing silently drops tabs and newlines, which could smuggle `//` past the checks above.
  if ([...value].some((char) => char.charCodeAt(0) < 0x20)) return undefined;
  const parsed = new URL(value, "http://portico.invalid");
  return parsed.origin === "http://portico.invalid" ? `${parsed.pathname}${parsed.search}` : undefined;
}
