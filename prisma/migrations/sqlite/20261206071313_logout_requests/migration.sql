-- CreateTable
CREATE TABLE "logout_requests" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subject" TEXT,
    "sid" TEXT,
    "clientId" TEXT,
    "postLogoutRedirectUri" TEXT,
    "state" TEXT,
    "uiLocales" TEXT NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL DEFAULT 'pending',
    "expiresAt" DATETIME NOT NULL,
    "decidedAt" DATETIME,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "logout_requests_expiresAt_idx" ON "logout_requests"("expiresAt");
