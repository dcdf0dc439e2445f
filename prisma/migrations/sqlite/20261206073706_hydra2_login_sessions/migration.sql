-- AlterTable
ALTER TABLE "consent_requests" ADD COLUMN "loginRememberFor" INTEGER;
ALTER TABLE "consent_requests" ADD COLUMN "loginSessionId" TEXT;

-- CreateTable
CREATE TABLE "login_sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subject" TEXT NOT NULL,
    "authTime" DATETIME NOT NULL,
    "amr" TEXT NOT NULL DEFAULT '[]',
    "acr" TEXT,
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "remembered_consents" (
    "subject" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "expiresAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("subject", "clientId")
);

-- CreateIndex
CREATE INDEX "login_sessions_subject_idx" ON "login_sessions"("subject");

-- CreateIndex
CREATE INDEX "login_sessions_expiresAt_idx" ON "login_sessions"("expiresAt");

-- CreateIndex
CREATE INDEX "remembered_consents_clientId_idx" ON "remembered_consents"("clientId");
