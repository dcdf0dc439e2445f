import { InvalidGrant } from "@/server/oauth2/errors.ts";
import type { SubjectGrants } from "@/server/subjects/store.ts";

/** What a code or refresh token of a subject the login & consent app has deleted is answered with. */
export function subjectDeleted(): InvalidGrant {
  return new InvalidGrant("The subject of this grant no longer exists");
}

/**
 * A code or refresh token of a subject the login & consent app has deleted
 * is worth nothing, whenever it turns up (the grant's transaction checks
 * again, for a deletion that raced the request).
 */
export async function refuseDeletedSubject(subjects: SubjectGrants, subject: string): Promise<void> {
  if (await subjects.isDeleted(subject)) throw subjectDeleted();
}
