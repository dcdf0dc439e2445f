-- CreateTable
CREATE TABLE "client_revision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "revision" INTEGER NOT NULL DEFAULT 0
);

-- CreateIndex
CREATE INDEX "access_tokens_expiresAt_idx" ON "access_tokens"("expiresAt");

-- CreateIndex
CREATE INDEX "authorization_codes_expiresAt_idx" ON "authorization_codes"("expiresAt");

-- CreateIndex
CREATE INDEX "refresh_tokens_revokedAt_idx" ON "refresh_tokens"("revokedAt");

-- CreateIndex
CREATE INDEX "refresh_tokens_usedAt_idx" ON "refresh_tokens"("usedAt");

-- CreateIndex
CREATE INDEX "refresh_tokens_issuedAt_idx" ON "refresh_tokens"("issuedAt");

-- The one revision row client writes bump (ClientStore)
INSERT INTO "client_revision" ("id", "revision") VALUES (1, 0);
