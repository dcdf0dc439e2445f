import type { Database } from "@/db/client.ts";
import { InvalidGrant } from "@/server/oauth2/errors.ts";
import type { SubjectGrants } from "@/server/subjects/store.ts";

/**
 * A code or refresh token of a subject the login & consent app has deleted
 * is worth nothing, whenever it turns up. Inside the grant's transaction the
 * throw also rolls back the token's use.
 */
export async function refuseDeletedSubject(
  subjects: SubjectGrants,
  subject: string,
  db?: Pick<Database, "deletedSubject">,
): Promise<void> {
  if (await subjects.isDeleted(subject, db))
    throw new InvalidGrant("The subject of this grant no longer exists");
}
