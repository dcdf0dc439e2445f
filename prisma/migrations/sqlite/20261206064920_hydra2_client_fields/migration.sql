-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_oauth2_clients" (
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
    "skipConsent" BOOLEAN NOT NULL DEFAULT false,
    "postLogoutRedirectUris" TEXT NOT NULL DEFAULT '[]',
    "backchannelLogoutUri" TEXT NOT NULL DEFAULT '',
    "backchannelLogoutSessionRequired" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "audience" TEXT NOT NULL DEFAULT '[]',
    "tokenEndpointAuthMethod" TEXT,
    "metadata" TEXT
);
INSERT INTO "new_oauth2_clients" ("backchannelLogoutSessionRequired", "backchannelLogoutUri", "clientUri", "contacts", "createdAt", "grantTypes", "id", "logoUri", "name", "owner", "policyUri", "postLogoutRedirectUris", "public", "redirectUris", "responseTypes", "scope", "secretHash", "skipConsent", "tosUri", "updatedAt") SELECT "backchannelLogoutSessionRequired", "backchannelLogoutUri", "clientUri", "contacts", "createdAt", "grantTypes", "id", "logoUri", "name", "owner", "policyUri", "postLogoutRedirectUris", "public", "redirectUris", "responseTypes", "scope", "secretHash", "skipConsent", "tosUri", "updatedAt" FROM "oauth2_clients";
DROP TABLE "oauth2_clients";
ALTER TABLE "new_oauth2_clients" RENAME TO "oauth2_clients";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
