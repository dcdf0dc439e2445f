-- AlterTable
ALTER TABLE "logout_requests" ADD COLUMN     "bindingHash" TEXT,
ADD COLUMN     "requestUrl" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "rpInitiated" BOOLEAN NOT NULL DEFAULT true;
