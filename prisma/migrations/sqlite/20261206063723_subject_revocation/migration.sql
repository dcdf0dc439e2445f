-- CreateTable
CREATE TABLE "deleted_subjects" (
    "subject" TEXT NOT NULL PRIMARY KEY,
    "deletedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "subject_deletions" (
    "subject" TEXT NOT NULL PRIMARY KEY,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0
);

-- CreateIndex
CREATE INDEX "access_tokens_subject_idx" ON "access_tokens"("subject");

-- CreateIndex
CREATE INDEX "authorization_codes_subject_idx" ON "authorization_codes"("subject");

-- CreateIndex
CREATE INDEX "refresh_tokens_subject_idx" ON "refresh_tokens"("subject");
