import type { User } from "./store.ts";

/**
 * The OpenID Connect claims a user's ID token carries, by granted scope
 * (OpenID Connect Core §5.4). `email_verified` is true only once the person
 * followed a link mailed to their current address (or an operator vouched
 * for it with users:verify-email); a change of address starts over.
 */
export function idTokenClaims(user: User, grantedScopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (grantedScopes.includes("profile") && user.name) claims.name = user.name;
  if (grantedScopes.includes("email")) {
    claims.email = user.email;
    claims.email_verified = user.emailVerifiedAt !== null;
  }
  return claims;
}
