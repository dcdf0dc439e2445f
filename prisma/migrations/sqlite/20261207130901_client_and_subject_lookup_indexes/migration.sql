-- Lookups by client and by subject that ran as full scans inside write transactions: deleting a
-- client (its codes, refresh tokens, consent requests, grants, remembered decisions, and the marks of
-- its grants), revoking a subject's consent (its accepted consent requests) and revoking one consent
-- request's remembered consent (Hydra 2.x). On a database months old each was a scan of every token,
-- with SQLite's write lock held throughout.
-- CreateIndex
CREATE INDEX "authorization_codes_clientId_idx" ON "authorization_codes"("clientId");

-- CreateIndex
CREATE INDEX "authorization_grants_clientId_idx" ON "authorization_grants"("clientId");

-- CreateIndex
CREATE INDEX "consent_requests_clientId_idx" ON "consent_requests"("clientId");

-- CreateIndex
CREATE INDEX "consent_requests_subject_idx" ON "consent_requests"("subject");

-- CreateIndex
CREATE INDEX "refresh_tokens_clientId_revokedAt_idx" ON "refresh_tokens"("clientId", "revokedAt");

-- CreateIndex
CREATE INDEX "remembered_consents_consentRequestId_idx" ON "remembered_consents"("consentRequestId");

-- CreateIndex
CREATE INDEX "remembered_grants_clientId_idx" ON "remembered_grants"("clientId");
