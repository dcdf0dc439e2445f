-- Data only: the grants of codes and refresh tokens issued before authorization_grants existed
-- (20261206062649). Every code and refresh token was issued to a person, and a grant without a
-- row was taken for a client_credentials one: UserInfo refused its tokens ("not issued to an end
-- user") for as long as the refresh tokens rotate. The row repeats what the oldest code or refresh
-- token of the grant holds: client, subject, scopes, auth_time, the consented claims (idTokenExtra).
INSERT INTO "authorization_grants" ("grantId", "clientId", "subject", "scopes", "authTime", "claims", "createdAt")
SELECT c."grantId", c."clientId", c."subject", c."scopes", c."authTime", c."idTokenExtra", c."createdAt"
FROM "authorization_codes" c
WHERE NOT EXISTS (SELECT 1 FROM "authorization_grants" g WHERE g."grantId" = c."grantId")
  AND NOT EXISTS (
    SELECT 1 FROM "authorization_codes" o
    WHERE o."grantId" = c."grantId" AND (o."createdAt" < c."createdAt" OR (o."createdAt" = c."createdAt" AND o."hash" < c."hash"))
  );

INSERT INTO "authorization_grants" ("grantId", "clientId", "subject", "scopes", "authTime", "claims", "createdAt")
SELECT r."grantId", r."clientId", r."subject", r."scopes", r."authTime", r."idTokenExtra", r."issuedAt"
FROM "refresh_tokens" r
WHERE NOT EXISTS (SELECT 1 FROM "authorization_grants" g WHERE g."grantId" = r."grantId")
  AND NOT EXISTS (
    SELECT 1 FROM "refresh_tokens" o
    WHERE o."grantId" = r."grantId" AND (o."issuedAt" < r."issuedAt" OR (o."issuedAt" = r."issuedAt" AND o."hash" < r."hash"))
  );
