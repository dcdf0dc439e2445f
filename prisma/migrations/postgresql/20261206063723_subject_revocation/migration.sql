-- CreateTable
CREATE TABLE "deleted_subjects" (
    "subject" TEXT NOT NULL,
    "deletedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deleted_subjects_pkey" PRIMARY KEY ("subject")
);

-- CreateTable
CREATE TABLE "subject_deletions" (
    "subject" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "subject_deletions_pkey" PRIMARY KEY ("subject")
);

-- CreateIndex
CREATE INDEX "access_tokens_subject_idx" ON "access_tokens"("subject");

-- CreateIndex
CREATE INDEX "authorization_codes_subject_idx" ON "authorization_codes"("subject");

-- CreateIndex
CREATE INDEX "refresh_tokens_subject_idx" ON "refresh_tokens"("subject");
