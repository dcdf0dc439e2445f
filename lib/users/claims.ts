import type { User } from "./store.ts";

/**
 * The OpenID Connect claims a user's ID token and UserInfo carry, by granted
 * scope (OpenID Connect Core §5.4). `profile` gives `name` (when set) and
 * `updated_at` (seconds since the epoch); `preferred_username` is the email a
 * person signs in with, so it comes only when `email` was granted too — an
 * app given `profile` alone never learns the address. `email_verified` is
 * true only once the person followed a link mailed to their current address
 * (or an operator vouched for it with users:verify-email); a change of
 * address starts over.
 */
export function idTokenClaims(user: User, grantedScopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  const profile = grantedScopes.includes("profile");
  const email = grantedScopes.includes("email");
  if (profile) {
    if (user.name) claims.name = user.name;
    if (email) claims.preferred_username = user.email;
    claims.updated_at = Math.floor(user.updatedAt.getTime() / 1000);
  }
  if (email) {
    claims.email = user.email;
    claims.email_verified = user.emailVerifiedAt !== null;
  }
  return claims;
}
