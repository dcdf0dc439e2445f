/**
 * Hydra's wildcard scope strategy (fosite's WildcardScopeStrategy): scopes are
 * dot-separated; a `*` segment matches any one non-empty segment, and a
 * trailing `*` also matches any deeper scope. `hydra.*` grants
 * `hydra.clients` and `hydra.keys.get`; `foo` grants only `foo`, never `foobar`.
 */
function scopeMatches(matcher: string, needle: string): boolean {
  const matcherParts = matcher.split(".");
  const needleParts = needle.split(".");
  if (matcherParts.length > needleParts.length) return false;
  for (let i = 0; i < matcherParts.length; i++) {
    const part = matcherParts[i] as string;
    const last = i === matcherParts.length - 1;
    if (last && matcherParts.length !== needleParts.length && part !== "*") return false;
    if (part === "*" && (needleParts[i] as string).length > 0) continue;
    if (part !== needleParts[i]) return false;
  }
  return true;
}

/** True when any of `granted` matches `needle`. */
export function scopeAllowed(granted: readonly string[], needle: string): boolean {
  return granted.some((matcher) => scopeMatches(matcher, needle));
}

/** RFC 6749 §3.3 scope-token: printable ASCII but space, double quote and backslash. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Whether `scope` is one RFC 6749 §3.3 scope-token (a registered or a requested scope). */
export function isScopeToken(scope: string): boolean {
  return SCOPE_TOKEN.test(scope);
}

/**
 * Whether every scope a request asks for is a scope-token (RFC 6749 §3.3).
 * Registered scopes are (the client schema holds them to it), but a `*`
 * segment matches any one segment, so without this a client registered for
 * `api.*` got whatever it asked for granted and shown by name on the consent
 * screen: a control or bidirectional-override character, a quote.
 */
export function wellFormedScopes(scopes: readonly string[]): boolean {
  return scopes.every(isScopeToken);
}

/**
 * The description of a refusal of malformed scopes. It never repeats them, and holds only the
 * characters RFC 6749 §5.2 allows an error_description.
 */
export const MALFORMED_SCOPE =
  "A requested scope holds a character no scope may hold (RFC 6749 section 3.3: printable ASCII but space, double quote and backslash)";

/** Splits a space-separated scope string, dropping empty parts and duplicates. */
export function splitScopes(scope: string | null | undefined): string[] {
  return [...new Set((scope ?? "").split(" ").filter(Boolean))];
}

/** Requests an ID token (OpenID Connect Core §3.1.2.1). */
export const OPENID_SCOPE = "openid";
/** Requests a refresh token, as Hydra named it. */
const OFFLINE_SCOPE = "offline";
/** Requests a refresh token, as OpenID Connect Core §11 names it: the same meaning as `offline`. */
const OFFLINE_ACCESS_SCOPE = "offline_access";
/** The scopes whose meaning the server defines; any other scope means what its client and API agree. */
export const SCOPES_SUPPORTED = [OPENID_SCOPE, OFFLINE_SCOPE, OFFLINE_ACCESS_SCOPE] as const;
/** The standard scopes of a person's claims (OpenID Connect Core §5.4) the login & consent app fills. */
export const PERSON_SCOPES = ["profile", "email"] as const;

const OFFLINE_SCOPES: readonly string[] = [OFFLINE_SCOPE, OFFLINE_ACCESS_SCOPE];

/** Whether granted scopes ask for a refresh token: either name does. */
export function grantsRefresh(scopes: readonly string[]): boolean {
  return scopes.some((scope) => OFFLINE_SCOPES.includes(scope));
}

/**
 * Whether a client may request a scope, where `offline` and `offline_access`
 * stand for each other: a client registered for either may ask for both.
 */
export function scopeAllowedToClient(allowed: readonly string[], needle: string): boolean {
  if (scopeAllowed(allowed, needle)) return true;
  return OFFLINE_SCOPES.includes(needle) && OFFLINE_SCOPES.some((scope) => scopeAllowed(allowed, scope));
}
