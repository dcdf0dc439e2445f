-- CreateTable
CREATE TABLE "oauth2_clients" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "oauth2_clients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jwks" (
    "set" TEXT NOT NULL,
    "kid" TEXT NOT NULL,
    "encrypted" BOOLEAN NOT NULL,
    "material" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "jwks_pkey" PRIMARY KEY ("set","kid")
);

-- CreateTable
CREATE TABLE "policies" (
    "id" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "subjects" TEXT NOT NULL DEFAULT '[]',
    "effect" TEXT NOT NULL,
    "resources" TEXT NOT NULL DEFAULT '[]',
    "actions" TEXT NOT NULL DEFAULT '[]',
    "conditions" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_revision" (
    "id" INTEGER NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "policy_revision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consent_requests" (
    "id" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "requestedScopes" TEXT NOT NULL,
    "redirectUrl" TEXT NOT NULL,
    "authRequest" TEXT NOT NULL,
    "verifierHash" TEXT NOT NULL,
    "bindingHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "subject" TEXT,
    "grantScopes" TEXT,
    "accessTokenExtra" TEXT,
    "idTokenExtra" TEXT,
    "rejectReason" TEXT,
    "decidedAt" TIMESTAMP(3),
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consent_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "authorization_codes" (
    "hash" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "codeChallenge" TEXT,
    "challengeMethod" TEXT,
    "nonce" TEXT,
    "authTime" TIMESTAMP(3) NOT NULL,
    "accessTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "idTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "authorization_codes_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "access_tokens" (
    "hash" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "extra" TEXT NOT NULL DEFAULT '{}',
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "access_tokens_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "refresh_tokens" (
    "hash" TEXT NOT NULL,
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "accessTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "idTokenExtra" TEXT NOT NULL DEFAULT '{}',
    "authTime" TIMESTAMP(3) NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("hash")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "passwordHash" TEXT NOT NULL,
    "failedLogins" INTEGER NOT NULL DEFAULT 0,
    "lastFailedAt" TIMESTAMP(3),
    "lockedUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "login_throttles" (
    "key" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lastFailedAt" TIMESTAMP(3),
    "lockedUntil" TIMESTAMP(3),

    CONSTRAINT "login_throttles_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "remembered_grants" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "remembered_grants_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "remembered_grants" ADD CONSTRAINT "remembered_grants_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
