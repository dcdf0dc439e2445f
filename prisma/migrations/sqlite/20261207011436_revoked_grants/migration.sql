-- CreateTable
CREATE TABLE "revoked_grants" (
    "grantId" TEXT NOT NULL PRIMARY KEY,
    "revokedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "revoked_grants_revokedAt_idx" ON "revoked_grants"("revokedAt");
