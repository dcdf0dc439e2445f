import type {
  AccessToken,
  AuthorizationCode,
  AuthorizationGrant,
  ConsentRequest,
  RefreshToken,
} from "@/generated/prisma/sqlite/client.ts";
import type { RowShape } from "./raw.ts";

/**
 * The rows the authorization-code flow reads by key and writes on every
 * sign-in, through prepared statements (rawQueries(db).rowByKey, insertRow)
 * rather than Prisma. Each names every column of its model; adding a field
 * to the model without adding it here fails the type check.
 */

export const CONSENT_REQUEST_ROW: RowShape<ConsentRequest> = {
  name: "consent_request",
  table: "consent_requests",
  key: "id",
  columns: {
    id: "text",
    clientId: "text",
    requestedScopes: "text",
    redirectUrl: "text",
    authRequest: "text",
    verifierHash: "text",
    bindingHash: "text",
    expiresAt: "date",
    status: "text",
    subject: "text",
    grantScopes: "text",
    accessTokenExtra: "text",
    idTokenExtra: "text",
    rejectReason: "text",
    oidcContext: "text",
    login: "text",
    rejectError: "text",
    loginAcceptedAt: "date",
    loginVerifiedAt: "date",
    loginRememberFor: "int",
    loginSessionId: "text",
    decidedAt: "date",
    usedAt: "date",
    createdAt: "date",
    grantAudience: "text",
  },
};

export const AUTHORIZATION_CODE_ROW: RowShape<AuthorizationCode> = {
  name: "authorization_code",
  table: "authorization_codes",
  key: "hash",
  columns: {
    hash: "text",
    grantId: "text",
    clientId: "text",
    subject: "text",
    scopes: "text",
    redirectUri: "text",
    redirectUriGiven: "bool",
    codeChallenge: "text",
    challengeMethod: "text",
    nonce: "text",
    authTime: "date",
    accessTokenExtra: "text",
    idTokenExtra: "text",
    expiresAt: "date",
    usedAt: "date",
    createdAt: "date",
  },
};

export const AUTHORIZATION_GRANT_ROW: RowShape<AuthorizationGrant> = {
  name: "authorization_grant",
  table: "authorization_grants",
  key: "grantId",
  columns: {
    grantId: "text",
    clientId: "text",
    subject: "text",
    scopes: "text",
    sid: "text",
    authTime: "date",
    amr: "text",
    acr: "text",
    claims: "text",
    createdAt: "date",
    audience: "text",
    consentRequestId: "text",
  },
};

export const ACCESS_TOKEN_ROW: RowShape<AccessToken> = {
  name: "access_token",
  table: "access_tokens",
  key: "hash",
  columns: {
    hash: "text",
    grantId: "text",
    clientId: "text",
    subject: "text",
    scopes: "text",
    extra: "text",
    issuedAt: "date",
    expiresAt: "date",
    revokedAt: "date",
    audience: "text",
  },
};

export const REFRESH_TOKEN_ROW: RowShape<RefreshToken> = {
  name: "refresh_token",
  table: "refresh_tokens",
  key: "hash",
  columns: {
    hash: "text",
    grantId: "text",
    clientId: "text",
    subject: "text",
    scopes: "text",
    accessTokenExtra: "text",
    idTokenExtra: "text",
    authTime: "date",
    issuedAt: "date",
    usedAt: "date",
    revokedAt: "date",
  },
};

/** A refresh token that is still usable (its client exists, its grant is not revoked), else none. */
export const USABLE_REFRESH_TOKEN_ROW: RowShape<RefreshToken> = {
  ...REFRESH_TOKEN_ROW,
  name: "usable_refresh_token",
  onlyUsable: true,
};
