-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_authorization_grants" (
    "grantId" TEXT NOT NULL PRIMARY KEY,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "sid" TEXT,
    "authTime" DATETIME NOT NULL,
    "amr" TEXT NOT NULL DEFAULT '[]',
    "acr" TEXT,
    "claims" TEXT NOT NULL DEFAULT '{}',
    "audience" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_authorization_grants" ("acr", "amr", "authTime", "claims", "clientId", "createdAt", "grantId", "scopes", "sid", "subject") SELECT "acr", "amr", "authTime", "claims", "clientId", "createdAt", "grantId", "scopes", "sid", "subject" FROM "authorization_grants";
DROP TABLE "authorization_grants";
ALTER TABLE "new_authorization_grants" RENAME TO "authorization_grants";
CREATE INDEX "authorization_grants_subject_clientId_idx" ON "authorization_grants"("subject", "clientId");
CREATE INDEX "authorization_grants_sid_idx" ON "authorization_grants"("sid");
CREATE INDEX "authorization_grants_createdAt_idx" ON "authorization_grants"("createdAt");
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
    "loginAcceptedAt" DATETIME,
    "loginVerifiedAt" DATETIME,
    "loginRememberFor" INTEGER,
    "loginSessionId" TEXT,
    "grantAudience" TEXT NOT NULL DEFAULT '',
    "decidedAt" DATETIME,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_consent_requests" ("accessTokenExtra", "authRequest", "bindingHash", "clientId", "createdAt", "decidedAt", "expiresAt", "grantScopes", "id", "idTokenExtra", "login", "loginAcceptedAt", "loginRememberFor", "loginSessionId", "loginVerifiedAt", "oidcContext", "redirectUrl", "rejectError", "rejectReason", "requestedScopes", "status", "subject", "usedAt", "verifierHash") SELECT "accessTokenExtra", "authRequest", "bindingHash", "clientId", "createdAt", "decidedAt", "expiresAt", "grantScopes", "id", "idTokenExtra", "login", "loginAcceptedAt", "loginRememberFor", "loginSessionId", "loginVerifiedAt", "oidcContext", "redirectUrl", "rejectError", "rejectReason", "requestedScopes", "status", "subject", "usedAt", "verifierHash" FROM "consent_requests";
DROP TABLE "consent_requests";
ALTER TABLE "new_consent_requests" RENAME TO "consent_requests";
CREATE INDEX "consent_requests_expiresAt_idx" ON "consent_requests"("expiresAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
