import type { User } from "./store.ts";

/**
 * The OpenID Connect claims a user's ID token carries, by granted scope
 * (OpenID Connect Core §5.4). Portico does not verify addresses: people are
 * added by an operator, so `email_verified` says false rather than guess.
 */
export function idTokenClaims(user: User, grantedScopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (grantedScopes.includes("profile") && user.name) claims.name = user.name;
  if (grantedScopes.includes("email")) {
    claims.email = user.email;
    claims.email_verified = false;
  }
  return claims;
}
