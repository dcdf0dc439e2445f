import { InvalidGrant, InvalidRequest, InvalidScope } from "@/server/oauth2/errors.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { revokeGrant } from "@/server/tokens/refresh-tokens.ts";
import type { GrantHandler } from "./grant.ts";
import { issueTokens } from "./issue-tokens.ts";
import { refuseWithdrawn } from "./withdrawn.ts";

const REUSED = "The refresh token was already used; every token of its grant is revoked";

/**
 * RFC 6749 §6. The token must be this client's, unrevoked and unused; it is
 * rotated, and the new one keeps its scope. A used token presented again
 * means it leaked, so the whole grant is revoked (Security BCP §4.14.2) —
 * except within REFRESH_TOKEN_ROTATION_GRACE_PERIOD of its first use, when
 * it is most likely the same app refreshing twice at once (two tabs): then
 * it gets a sibling of the new token and nothing is revoked.
 * `scope` may narrow the new access token, never widen it. What the grant
 * holds must still be the client's to ask for (`refuseWithdrawn`), as Hydra
 * (fosite) checks — otherwise the refresh token would keep issuing it. A token of a
 * deleted subject is refused by the rotation's transaction (nothing is used).
 */
export const refreshToken: GrantHandler = async ({ client, form, services }) => {
  const { refreshTokens, db } = services;
  const graceMs = services.config.refreshTokenRotationGracePeriodMs;
  const withinGrace = (usedAt: Date | null) =>
    graceMs > 0 && usedAt !== null && Date.now() - usedAt.getTime() <= graceMs;
  const value = form.get("refresh_token");
  if (!value) throw new InvalidRequest("refresh_token is required");
  const token = await refreshTokens.find(value);
  if (!token || token.clientId !== client.id || token.revokedAt) {
    throw new InvalidGrant("The refresh token is invalid");
  }
  if (token.usedAt && !withinGrace(token.usedAt)) {
    await db.$transaction((tx) => revokeGrant(tx, token.grantId));
    throw new InvalidGrant(REUSED);
  }
  if (refreshTokens.isExpired(token)) throw new InvalidGrant("The refresh token has expired");

  await refuseWithdrawn(services, client, token);

  const requested = splitScopes(form.get("scope"));
  const widened = requested.filter((scope) => !token.scopes.includes(scope));
  if (widened.length > 0) throw new InvalidScope(`The grant does not include ${widened.join(" ")}`);

  return issueTokens(services, client, {
    grantId: token.grantId,
    subject: token.subject,
    scopes: token.scopes,
    accessScopes: requested.length > 0 ? requested : token.scopes,
    accessTokenExtra: token.accessTokenExtra,
    idTokenExtra: token.idTokenExtra,
    authTime: token.authTime,
    nonce: null,
    use: refreshTokens.use(token.hash, graceMs),
    refused: async () => {
      await db.$transaction((tx) => revokeGrant(tx, token.grantId));
      return new InvalidGrant(REUSED);
    },
  });
};
