-- A client_credentials token's own access-token audience (Hydra 2.x's `audience` on the token request).
-- Null on every earlier row: their audience is their grant's (authorization_grants), as before.
-- AlterTable
ALTER TABLE "access_tokens" ADD COLUMN     "audience" TEXT;
