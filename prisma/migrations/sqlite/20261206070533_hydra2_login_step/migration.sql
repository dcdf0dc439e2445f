-- AlterTable
ALTER TABLE "consent_requests" ADD COLUMN "loginAcceptedAt" DATETIME;
ALTER TABLE "consent_requests" ADD COLUMN "loginVerifiedAt" DATETIME;
