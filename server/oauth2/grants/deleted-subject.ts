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
