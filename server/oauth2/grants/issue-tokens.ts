import type { Database } from "@/db/client.ts";
import type { Client } from "@/server/clients/model.ts";
import type { OAuthError } from "@/server/oauth2/errors.ts";
import { grantsRefresh, OPENID_SCOPE } from "@/server/oauth2/scopes.ts";
import type { Services } from "@/server/services.ts";
import type { TokenResponse } from "./grant.ts";

type Tx = Pick<Database, "accessToken" | "refreshToken" | "authorizationCode" | "deletedSubject">;

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
  /** Uses up the code or refresh token inside the transaction; false when it was used already. */
  use(tx: Tx): Promise<boolean>;
  /** The error when `use` answered false (its side effects are committed first). */
  refused(): OAuthError;
}

/**
 * The token response of the code and refresh grants: an access token; a
 * refresh token when `offline` (or `offline_access`) was granted and the client may refresh; an
 * ID token when `openid` was granted. Using the code or refresh token and
 * storing the new tokens are one transaction; the ID token is signed after.
 */
export async function issueTokens(
  services: Services,
  client: Client,
  grant: GrantToRedeem,
): Promise<TokenResponse> {
  const { db, accessTokens, refreshTokens, idTokens } = services;
  const accessScopes = grant.accessScopes ?? grant.scopes;
  const offline = grantsRefresh(grant.scopes) && client.grantTypes.includes("refresh_token");
  const base = { grantId: grant.grantId, clientId: client.id, subject: grant.subject };

  const issued = await db.$transaction(async (tx) => {
    if (!(await grant.use(tx))) return undefined;
    const access = await accessTokens.issue(
      { ...base, scopes: accessScopes, extra: grant.accessTokenExtra },
      tx,
    );
    const refresh = offline
      ? await refreshTokens.issue(
          {
            ...base,
            scopes: grant.scopes,
            accessTokenExtra: grant.accessTokenExtra,
            idTokenExtra: grant.idTokenExtra,
            authTime: grant.authTime,
          },
          tx,
        )
      : undefined;
    return { accessToken: access.token, refreshToken: refresh };
  });
  if (!issued) throw grant.refused();

  const response: TokenResponse = {
    access_token: issued.accessToken,
    token_type: "bearer",
    expires_in: accessTokens.lifespanSeconds,
    scope: accessScopes.join(" "),
  };
  if (issued.refreshToken) response.refresh_token = issued.refreshToken;
  if (accessScopes.includes(OPENID_SCOPE)) {
    const signIn = (await services.authorizationGrants.find(grant.grantId))?.signIn;
    response.id_token = await idTokens.sign({
      clientId: client.id,
      subject: grant.subject,
      authTime: grant.authTime,
      nonce: grant.nonce,
      accessToken: issued.accessToken,
      extra: grant.idTokenExtra,
      amr: signIn?.amr,
      acr: signIn?.acr,
      sid: signIn?.sid,
    });
  }
  return response;
}
