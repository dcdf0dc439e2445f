-- Hydra 2.x's consent_request_id: the consent request each grant came from (revokeOAuth2ConsentSessions
-- by consent_request_id revokes its tokens) and the one whose acceptance a remembered consent keeps.
-- Null on earlier rows: those grants and remembered consents name no consent request.
-- AlterTable
ALTER TABLE "authorization_grants" ADD COLUMN "consentRequestId" TEXT;

-- AlterTable
ALTER TABLE "remembered_consents" ADD COLUMN "consentRequestId" TEXT;

-- CreateIndex
CREATE INDEX "authorization_grants_consentRequestId_idx" ON "authorization_grants"("consentRequestId");
