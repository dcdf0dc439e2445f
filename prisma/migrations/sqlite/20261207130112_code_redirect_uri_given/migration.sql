-- The redirect URI a code went to, and whether the authorization request named it (RFC 6749 §4.1.3:
-- the token request must then repeat it exactly; otherwise it may leave it out). Earlier rows kept
-- "" for a request that named none: they are marked so; the token endpoint takes the client's only
-- registered URI for them, as it did.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_authorization_codes" (
    "hash" TEXT NOT NULL PRIMARY KEY,
    "grantId" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "redirectUriGiven" BOOLEAN NOT NULL DEFAULT true,
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
INSERT INTO "new_authorization_codes" ("accessTokenExtra", "authTime", "challengeMethod", "clientId", "codeChallenge", "createdAt", "expiresAt", "grantId", "hash", "idTokenExtra", "nonce", "redirectUri", "scopes", "subject", "usedAt") SELECT "accessTokenExtra", "authTime", "challengeMethod", "clientId", "codeChallenge", "createdAt", "expiresAt", "grantId", "hash", "idTokenExtra", "nonce", "redirectUri", "scopes", "subject", "usedAt" FROM "authorization_codes";
DROP TABLE "authorization_codes";
ALTER TABLE "new_authorization_codes" RENAME TO "authorization_codes";
CREATE INDEX "authorization_codes_grantId_idx" ON "authorization_codes"("grantId");
CREATE INDEX "authorization_codes_expiresAt_idx" ON "authorization_codes"("expiresAt");
CREATE INDEX "authorization_codes_subject_idx" ON "authorization_codes"("subject");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- DataMigration
UPDATE "authorization_codes" SET "redirectUriGiven" = false WHERE "redirectUri" = '';
