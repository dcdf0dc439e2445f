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
 * A path on this site to return to after signing in, or undefined. The
 * value is resolved as a URL first and the result checked, because
 * normalising can turn a harmless-looking input into a network-path
 * reference: `/.//evil.example`, `/..//evil` and `/%2e//evil` all resolve
 * to `//evil…`, which a browser reads as another host. So the checks hold
 * for what is returned, not only for what came in.
 */
export function localReturnPath(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 2048) return undefined;
  if (!value.startsWith("/") || value.includes("\\")) return undefined;
  // URL parsing silently drops tabs and newlines, which could smuggle `//` past the checks.
  if ([...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) return undefined;
  if (!URL.canParse(value, "http://portico.invalid")) return undefined;
  const parsed = new URL(value, "http://portico.invalid");
  if (parsed.origin !== "http://portico.invalid") return undefined;
  const result = `${parsed.pathname}${parsed.search}`;
  if (!result.startsWith("/") || result.startsWith("//") || result.includes("\\")) return undefined;
  // What the browser will do with the result must land here too.
  return new URL(result, "http://portico.invalid").origin === "http://portico.invalid" ? result : undefined;
}
