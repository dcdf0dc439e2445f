import { InvalidGrant } from "@/server/oauth2/errors.ts";

/**
 * What a code or refresh token of a subject the login & consent app has
 * deleted is answered with, whenever it turns up: the grant's transaction
 * checks the subject (SubjectGrants.notDeleted) in the same step that uses
 * the code or token, so a deletion that races the request is seen too.
 */
export function subjectDeleted(): InvalidGrant {
  return new InvalidGrant("The subject of this grant no longer exists");
}

/**
 * What a code or refresh token of a revoked grant is answered with (consent
 * revoked, the grant's refresh token revoked or reused, its code replayed):
 * the exchange's transaction checks the mark, so a revocation that raced the
 * request's first read is seen too.
 */
export function grantRevoked(): InvalidGrant {
  return new InvalidGrant("The grant of this code or token was revoked");
}
