-- CreateTable
CREATE TABLE "logout_requests" (
    "id" TEXT NOT NULL,
    "subject" TEXT,
    "sid" TEXT,
    "clientId" TEXT,
    "postLogoutRedirectUri" TEXT,
    "state" TEXT,
    "uiLocales" TEXT NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL DEFAULT 'pending',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "logout_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "logout_requests_expiresAt_idx" ON "logout_requests"("expiresAt");
