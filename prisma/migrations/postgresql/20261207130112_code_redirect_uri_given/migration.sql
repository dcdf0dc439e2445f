-- The redirect URI a code went to, and whether the authorization request named it (RFC 6749 §4.1.3:
-- the token request must then repeat it exactly; otherwise it may leave it out). Earlier rows kept
-- "" for a request that named none: they are marked so; the token endpoint takes the client's only
-- registered URI for them, as it did.
-- AlterTable
ALTER TABLE "authorization_codes" ADD COLUMN     "redirectUriGiven" BOOLEAN NOT NULL DEFAULT true;

-- DataMigration
UPDATE "authorization_codes" SET "redirectUriGiven" = false WHERE "redirectUri" = '';
