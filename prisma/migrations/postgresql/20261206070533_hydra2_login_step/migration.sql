-- AlterTable
ALTER TABLE "consent_requests" ADD COLUMN     "loginAcceptedAt" TIMESTAMP(3),
ADD COLUMN     "loginVerifiedAt" TIMESTAMP(3);
