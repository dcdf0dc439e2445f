-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_logout_requests" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subject" TEXT,
    "sid" TEXT,
    "clientId" TEXT,
    "postLogoutRedirectUri" TEXT,
    "state" TEXT,
    "uiLocales" TEXT NOT NULL DEFAULT '[]',
    "requestUrl" TEXT NOT NULL DEFAULT '',
    "rpInitiated" BOOLEAN NOT NULL DEFAULT true,
    "bindingHash" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "expiresAt" DATETIME NOT NULL,
    "decidedAt" DATETIME,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_logout_requests" ("clientId", "createdAt", "decidedAt", "expiresAt", "id", "postLogoutRedirectUri", "sid", "state", "status", "subject", "uiLocales", "usedAt") SELECT "clientId", "createdAt", "decidedAt", "expiresAt", "id", "postLogoutRedirectUri", "sid", "state", "status", "subject", "uiLocales", "usedAt" FROM "logout_requests";
DROP TABLE "logout_requests";
ALTER TABLE "new_logout_requests" RENAME TO "logout_requests";
CREATE INDEX "logout_requests_expiresAt_idx" ON "logout_requests"("expiresAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
