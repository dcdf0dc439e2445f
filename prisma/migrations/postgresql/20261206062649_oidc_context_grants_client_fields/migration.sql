-- AlterTable
ALTER TABLE "consent_requests" ADD COLUMN     "login" TEXT,
ADD COLUMN     "oidcContext" TEXT NOT NULL DEFAULT '{}',
ADD COLUMN     "rejectError" TEXT;

-- AlterTable
ALTER TABLE "oauth2_clients" ADD COLUMN     "backchannelLogoutSessionRequired" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "backchannelLogoutUri" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "postLogoutRedirectUris" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "skipConsent" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "authorization_grants" (
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "sid" TEXT,
    "authTime" TIMESTAMP(3) NOT NULL,
    "amr" TEXT NOT NULL DEFAULT '[]',
    "acr" TEXT,
    "claims" TEXT NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "authorization_grants_pkey" PRIMARY KEY ("grantId")
);

-- CreateIndex
CREATE INDEX "authorization_grants_subject_clientId_idx" ON "authorization_grants"("subject", "clientId");

-- CreateIndex
CREATE INDEX "authorization_grants_sid_idx" ON "authorization_grants"("sid");

-- CreateIndex
CREATE INDEX "authorization_grants_createdAt_idx" ON "authorization_grants"("createdAt");
