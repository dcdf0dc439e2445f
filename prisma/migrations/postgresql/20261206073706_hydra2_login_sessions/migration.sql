-- AlterTable
ALTER TABLE "consent_requests" ADD COLUMN     "loginRememberFor" INTEGER,
ADD COLUMN     "loginSessionId" TEXT;

-- CreateTable
CREATE TABLE "login_sessions" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "authTime" TIMESTAMP(3) NOT NULL,
    "amr" TEXT NOT NULL DEFAULT '[]',
    "acr" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "login_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "remembered_consents" (
    "subject" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "remembered_consents_pkey" PRIMARY KEY ("subject","clientId")
);

-- CreateIndex
CREATE INDEX "login_sessions_subject_idx" ON "login_sessions"("subject");

-- CreateIndex
CREATE INDEX "login_sessions_expiresAt_idx" ON "login_sessions"("expiresAt");

-- CreateIndex
CREATE INDEX "remembered_consents_clientId_idx" ON "remembered_consents"("clientId");
