/*
  Warnings:

  - You are about to drop the column `failedLogins` on the `users` table. All the data in the column will be lost.
  - You are about to drop the column `lastFailedAt` on the `users` table. All the data in the column will be lost.
  - You are about to drop the column `lockedUntil` on the `users` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "users" DROP COLUMN "failedLogins",
DROP COLUMN "lastFailedAt",
DROP COLUMN "lockedUntil";
