-- CreateTable
CREATE TABLE "authorization_grants" (
    "grantId" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "sid" TEXT,
    "authTime" DATETIME NOT NULL,
    "amr" TEXT NOT NULL DEFAULT '[]',
    "acr" TEXT,
    "claims" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_consent_requests" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL,
    "requestedScopes" TEXT NOT NULL,
    "redirectUrl" TEXT NOT NULL,
    "authRequest" TEXT NOT NULL,
    "verifierHash" TEXT NOT NULL,
    "bindingHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "subject" TEXT,
    "grantScopes" TEXT,
    "accessTokenExtra" TEXT,
    "idTokenExtra" TEXT,
    "rejectReason" TEXT,
    "oidcContext" TEXT NOT NULL DEFAULT '{}',
    "login" TEXT,
    "rejectError" TEXT,
    "decidedAt" DATETIME,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_consent_requests" ("accessTokenExtra", "authRequest", "bindingHash", "clientId", "createdAt", "decidedAt", "expiresAt", "grantScopes", "id", "idTokenExtra", "redirectUrl", "rejectReason", "requestedScopes", "status", "subject", "usedAt", "verifierHash") SELECT "accessTokenExtra", "authRequest", "bindingHash", "clientId", "createdAt", "decidedAt", "expiresAt", "grantScopes", "id", "idTokenExtra", "redirectUrl", "rejectReason", "requestedScopes", "status", "subject", "usedAt", "verifierHash" FROM "consent_requests";
DROP TABLE "consent_requests";
ALTER TABLE "new_consent_requests" RENAME TO "consent_requests";
CREATE INDEX "consent_requests_expiresAt_idx" ON "consent_requests"("expiresAt");
CREATE TABLE "new_oauth2_clients" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL DEFAULT '',
    "secretHash" TEXT,
    "redirectUris" TEXT NOT NULL DEFAULT '[]',
    "grantTypes" TEXT NOT NULL DEFAULT '[]',
    "responseTypes" TEXT NOT NULL DEFAULT '[]',
    "scope" TEXT NOT NULL DEFAULT '',
    "owner" TEXT NOT NULL DEFAULT '',
    "policyUri" TEXT NOT NULL DEFAULT '',
    "tosUri" TEXT NOT NULL DEFAULT '',
    "clientUri" TEXT NOT NULL DEFAULT '',
    "logoUri" TEXT NOT NULL DEFAULT '',
    "contacts" TEXT NOT NULL DEFAULT '[]',
    "public" BOOLEAN NOT NULL DEFAULT false,
    "skipConsent" BOOLEAN NOT NULL DEFAULT false,
    "postLogoutRedirectUris" TEXT NOT NULL DEFAULT '[]',
    "backchannelLogoutUri" TEXT NOT NULL DEFAULT '',
    "backchannelLogoutSessionRequired" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_oauth2_clients" ("clientUri", "contacts", "createdAt", "grantTypes", "id", "logoUri", "name", "owner", "policyUri", "public", "redirectUris", "responseTypes", "scope", "secretHash", "tosUri", "updatedAt") SELECT "clientUri", "contacts", "createdAt", "grantTypes", "id", "logoUri", "name", "owner", "policyUri", "public", "redirectUris", "responseTypes", "scope", "secretHash", "tosUri", "updatedAt" FROM "oauth2_clients";
DROP TABLE "oauth2_clients";
ALTER TABLE "new_oauth2_clients" RENAME TO "oauth2_clients";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "authorization_grants_subject_clientId_idx" ON "authorization_grants"("subject", "clientId");

-- CreateIndex
CREATE INDEX "authorization_grants_sid_idx" ON "authorization_grants"("sid");

-- CreateIndex
CREATE INDEX "authorization_grants_createdAt_idx" ON "authorization_grants"("createdAt");
