import { InvalidGrant, InvalidRequest } from "@/server/oauth2/errors.ts";
import { verifierMatches } from "@/server/oauth2/pkce.ts";
import { revokeGrant } from "@/server/tokens/refresh-tokens.ts";
import type { GrantHandler } from "./grant.ts";
import { issueTokens } from "./issue-tokens.ts";
import { refuseWithdrawn } from "./withdrawn.ts";

/**
 * RFC 6749 §4.1.3 with RFC 7636 §4.6. The code must be this client's,
 * unexpired and unused; a second use is a replay, and revokes every token
 * the first use issued (§4.1.2, §10.5). Using the code and storing the new
 * tokens are one transaction; a replay found there revokes the grant after it.
 * A code of a deleted subject is refused by that transaction too (nothing is
 * used then), so it needs no read of its own before. A scope or audience the
 * client lost since the authorization refuses the code as it refuses a
 * refresh (`refuseWithdrawn`), using nothing.
 */
export const authorizationCode: GrantHandler = async ({ client, form, services }) => {
  const { authorizationCodes, db } = services;
  const value = form.get("code");
  if (!value) throw new InvalidRequest("code is required");
  const code = await authorizationCodes.find(value);
  if (!code || code.clientId !== client.id) throw new InvalidGrant("The authorization code is invalid");
  if (code.usedAt) {
    await db.$transaction((tx) => revokeGrant(tx, code.grantId));
    throw new InvalidGrant("The authorization code was already used; the tokens it issued are revoked");
  }
  if (code.expiresAt.getTime() <= Date.now()) throw new InvalidGrant("The authorization code has expired");

  // §4.1.3: repeated exactly when the authorization request named it; else optional, and then the
  // URI the code went to — recorded with the code, since the client may register others meanwhile.
  const redirectUri = form.get("redirect_uri");
  if (code.redirectUriGiven && redirectUri === undefined) {
    throw new InvalidGrant("redirect_uri is required: the authorization request named one");
  }
  const issuedTo =
    code.redirectUri || (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (redirectUri !== undefined && redirectUri !== issuedTo) {
    throw new InvalidGrant("redirect_uri does not match the authorization request");
  }

  const verifier = form.get("code_verifier");
  if (code.codeChallenge) {
    if (verifier === undefined) throw new InvalidGrant("code_verifier is required");
    if (!verifierMatches(verifier, code.codeChallenge)) throw new InvalidGrant("code_verifier is wrong");
  } else if (verifier !== undefined) {
    throw new InvalidGrant("code_verifier was sent for a code issued without code_challenge");
  }

  await refuseWithdrawn(services, client, code);

  return issueTokens(services, client, {
    grantId: code.grantId,
    subject: code.subject,
    scopes: code.scopes,
    accessTokenExtra: code.accessTokenExtra,
    idTokenExtra: code.idTokenExtra,
    authTime: code.authTime,
    nonce: code.nonce,
    use: authorizationCodes.use(code.hash),
    refused: async () => {
      await db.$transaction((tx) => revokeGrant(tx, code.grantId));
      return new InvalidGrant("The authorization code was already used; the tokens it issued are revoked");
    },
  });
};
