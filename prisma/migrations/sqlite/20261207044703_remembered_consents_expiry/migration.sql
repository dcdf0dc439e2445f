-- CreateIndex
CREATE INDEX "remembered_consents_expiresAt_idx" ON "remembered_consents"("expiresAt");
