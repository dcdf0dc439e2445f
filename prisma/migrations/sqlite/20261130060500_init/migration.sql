-- CreateTable
CREATE TABLE "oauth2_clients" (
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "jwks" (
    "set" TEXT NOT NULL,
    "kid" TEXT NOT NULL,
    "encrypted" BOOLEAN NOT NULL,
    "material" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("set", "kid")
);

-- CreateTable
CREATE TABLE "policies" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "description" TEXT NOT NULL DEFAULT '',
    "subjects" TEXT NOT NULL DEFAULT '[]',
    "effect" TEXT NOT NULL,
    "resources" TEXT NOT NULL DEFAULT '[]',
    "actions" TEXT NOT NULL DEFAULT '[]',
    "conditions" TEXT NOT NULL DEFAULT '{}',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "policy_revision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "revision" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "consent_requests" (
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
    "decidedAt" DATETIME,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "authorization_codes" (
    "hash" TEXT NOT NULL PRIMARY KEY,
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "codeChallenge" TEXT,
    "challengeMethod" TEXT,
    "nonce" TEXT,
    "authTime" DATETIME NOT NULL,
    "accessTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "idTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "access_tokens" (
    "hash" TEXT NOT NULL PRIMARY KEY,
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "issuedAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME
);

-- CreateTable
CREATE TABLE "refresh_tokens" (
    "hash" TEXT NOT NULL PRIMARY KEY,
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "accessTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "idTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "authTime" DATETIME NOT NULL,
    "issuedAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "revokedAt" DATETIME
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "passwordHash" TEXT NOT NULL,
    "failedLogins" INTEGER NOT NULL DEFAULT 0,
    "lastFailedAt" DATETIME,
    "lockedUntil" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "login_throttles" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lastFailedAt" DATETIME,
    "lockedUntil" DATETIME
);

-- CreateTable
CREATE TABLE "remembered_grants" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "remembered_grants_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "consent_requests_expiresAt_idx" ON "consent_requests"("expiresAt");

-- CreateIndex
CREATE INDEX "authorization_codes_grantId_idx" ON "authorization_codes"("grantId");

-- CreateIndex
CREATE INDEX "access_tokens_grantId_idx" ON "access_tokens"("grantId");

-- CreateIndex
CREATE INDEX "access_tokens_clientId_idx" ON "access_tokens"("clientId");

-- CreateIndex
CREATE INDEX "refresh_tokens_grantId_idx" ON "refresh_tokens"("grantId");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "remembered_grants_userId_clientId_key" ON "remembered_grants"("userId", "clientId");
