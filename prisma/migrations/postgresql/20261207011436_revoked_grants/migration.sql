-- CreateTable
CREATE TABLE "revoked_grants" (
    "grantId" TEXT NOT NULL,
    "revokedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "revoked_grants_pkey" PRIMARY KEY ("grantId")
);

-- CreateIndex
CREATE INDEX "revoked_grants_revokedAt_idx" ON "revoked_grants"("revokedAt");
