import type { Database } from "@/db/client.ts";

/** How many queued deletions one delivery round sends at most. */
const BATCH = 100;

/**
 * Tells the authorization server about people deleted here, from the outbox
 * UserStore.delete fills in the same transaction as the deletion: each is
 * sent with `deleteSubject` (the admin API's `DELETE /oauth2/auth/subjects/{subject}`)
 * and removed once the server has answered. What fails stays queued for the
 * next round (the app runs one every ten minutes and at start), so a server
 * that is down when a person is deleted still learns of it.
 */
export async function tellServerOfDeletions(
  db: Database,
  deleteSubject: (subject: string) => Promise<void>,
): Promise<{ told: string[]; failed: number; firstError?: unknown }> {
  const queued = await db.subjectDeletion.findMany({ orderBy: { createdAt: "asc" }, take: BATCH });
  const told: string[] = [];
  let failed = 0;
  let firstError: unknown;
  for (const { subject } of queued) {
    try {
      await deleteSubject(subject);
      await db.subjectDeletion.deleteMany({ where: { subject } });
      told.push(subject);
    } catch (error) {
      failed += 1;
      firstError ??= error;
      await db.subjectDeletion.updateMany({ where: { subject }, data: { attempts: { increment: 1 } } });
    }
  }
  return { told, failed, ...(firstError === undefined ? {} : { firstError }) };
}
