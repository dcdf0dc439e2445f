-- AlterTable
ALTER TABLE "authorization_grants" ADD COLUMN     "audience" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "consent_requests" ADD COLUMN     "grantAudience" TEXT NOT NULL DEFAULT '';
