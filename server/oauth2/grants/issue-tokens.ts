import { rawQueries } from "@/db/client.ts";
import type { Write } from "@/db/raw.ts";
import type { Client } from "@/server/clients/model.ts";
import { releasedClaims } from "@/server/oauth2/claims.ts";
import type { OAuthError } from "@/server/oauth2/errors.ts";
import { grantsRefresh, OPENID_SCOPE } from "@/server/oauth2/scopes.ts";
import type { Services } from "@/server/services.ts";
import { notRevoked } from "@/server/tokens/revoked-grants.ts";
import { grantRevoked, subjectDeleted } from "./deleted-subject.ts";
import type { TokenResponse } from "./grant.ts";

interface GrantToRedeem {
  grantId: string;
  subject: string;
  /** What the user granted; the refresh token keeps all of it. */
  scopes: string[];
  /** The new access token's scope, when the request narrowed it (RFC 6749 §6). */
  accessScopes?: string[];
  accessTokenExtra: Record<string, unknown>;
  idTokenExtra: Record<string, unknown>;
  authTime: Date;
  nonce: string | null;
  /** Uses up the code or refresh token, in the transaction; refused when it was used already. */
  use: Write<"used">;
  /** What a refused use is answered with, once what it sets off (a revocation) is done. */
  refused(): Promise<OAuthError>;
}

/**
 * The token response of the code and refresh grants: an access token; a
 * refresh token when `offline` (or `offline_access`) was granted and the client may refresh; an
 * ID token when `openid` was granted. Using the code or refresh token and
 * storing the new tokens are one transaction, and nothing that can fail
 * comes after it: the ID token is signed before (its at_hash needs only the
 * new access token's value), so a failure leaves the code or refresh token
 * unused for the client to try again. A refused use discards the ID token.
 */
export async function issueTokens(
  services: Services,
  client: Client,
  grant: GrantToRedeem,
): Promise<TokenResponse> {
  const { db, accessTokens, refreshTokens, subjectGrants } = services;
  const accessScopes = grant.accessScopes ?? grant.scopes;
  const offline = grantsRefresh(grant.scopes) && client.grantTypes.includes("refresh_token");
  const base = { grantId: grant.grantId, clientId: client.id, subject: grant.subject };

  const access = accessTokens.newToken({ ...base, scopes: accessScopes, extra: grant.accessTokenExtra });
  const refresh = offline
    ? refreshTokens.newToken({
        ...base,
        scopes: grant.scopes,
        accessTokenExtra: grant.accessTokenExtra,
        idTokenExtra: grant.idTokenExtra,
        authTime: grant.authTime,
      })
    : undefined;
  const idToken = accessScopes.includes(OPENID_SCOPE)
    ? await signIdToken(services, client, grant, accessScopes, access.token)
    : undefined;
  // The subject and the grant are checked here, in the transaction that takes the code or token: the
  // only check. A revocation that commits after it still wins: the new tokens' grant is marked revoked.
  const refused = await rawQueries(db).transaction([
    grant.use,
    subjectGrants.notDeleted(grant.subject),
    notRevoked(grant.grantId),
    access.insert,
    ...(refresh ? [refresh.insert] : []),
  ]);
  if (refused === "used") throw await grant.refused();
  if (refused === "deleted") throw subjectDeleted();
  if (refused === "revoked") throw grantRevoked();

  const response: TokenResponse = {
    access_token: access.token,
    token_type: "bearer",
    expires_in: accessTokens.lifespanSeconds,
    scope: accessScopes.join(" "),
  };
  if (refresh) response.refresh_token = refresh.token;
  if (idToken !== undefined) response.id_token = idToken;
  return response;
}

/**
 * The ID token of a code or refresh grant: it repeats the sign-in of the grant's first
 * authorization. A refresh that narrowed the scope (RFC 6749 §6) gets the claims those scopes
 * release, the ones UserInfo answers that access token with, not every claim of the grant.
 */
async function signIdToken(
  { authorizationGrants, idTokens }: Services,
  client: Client,
  grant: GrantToRedeem,
  accessScopes: string[],
  accessToken: string,
): Promise<string> {
  const signIn = (await authorizationGrants.find(grant.grantId))?.signIn;
  const narrowed = grant.scopes.some((scope) => !accessScopes.includes(scope));
  return idTokens.sign({
    clientId: client.id,
    subject: grant.subject,
    authTime: grant.authTime,
    nonce: grant.nonce,
    accessToken,
    extra: narrowed ? releasedClaims(grant.idTokenExtra, accessScopes) : grant.idTokenExtra,
    amr: signIn?.amr,
    acr: signIn?.acr,
    sid: signIn?.sid,
  });
}
