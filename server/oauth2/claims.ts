import { RESERVED_CLAIMS } from "@/server/tokens/id-tokens.ts";

/**
 * The standard claims each scope releases (OpenID Connect Core §5.4). A
 * claim no scope names (one the consent app added of its own) is released
 * with the grant as a whole.
 */
const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
  ],
  email: ["email", "email_verified"],
  address: ["address"],
  phone: ["phone_number", "phone_number_verified"],
};
const SCOPED = new Map(
  Object.entries(SCOPE_CLAIMS).flatMap(([scope, claims]) => claims.map((c) => [c, scope])),
);

/** The scopes a consented claim needs before a token carrying only some of the grant's scopes may release it. */
function scopesFor(name: string, value: unknown, claims: Record<string, unknown>): string[] {
  const scope = SCOPED.get(name);
  if (scope === undefined) return [];
  // A preferred_username that is the person's email address (as the login & consent app sets it)
  // tells the address: it needs `email` as well as `profile`, or `profile` alone would reveal it.
  if (name === "preferred_username" && typeof claims.email === "string" && value === claims.email) {
    return [scope, "email"];
  }
  return [scope];
}

/**
 * The consented claims (the grant's `idTokenExtra`) that a token with
 * `scopes` may release: what UserInfo answers, and what an ID token issued
 * with a narrowed access token carries. Claims with a protocol meaning are
 * never taken from the consent app.
 */
export function releasedClaims(
  claims: Record<string, unknown>,
  scopes: readonly string[],
): Record<string, unknown> {
  const released: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (RESERVED_CLAIMS.has(name)) continue;
    if (scopesFor(name, value, claims).every((scope) => scopes.includes(scope))) released[name] = value;
  }
  return released;
}
