import type { Database } from "@/db/client.ts";
import { findsNoRow, type Write } from "@/db/raw.ts";

/** Prisma's transaction client has $executeRaw too. */
type Tx = Pick<Database, "$executeRaw">;

/**
 * Revoked grants (`revoked_grants`). Revoking a grant updates its tokens row
 * by row, and under PostgreSQL's READ COMMITTED a refresh or code exchange
 * that commits while that runs writes tokens no later step of the revocation
 * sees. So every revoking transaction first marks the grants it revokes, and
 * every place that accepts a code or token refuses one whose grant is marked
 * (db/raw.ts `usable`, and the check below in the exchange's own statement):
 * whatever the order the two commit in, the new tokens are dead at their
 * first use. The marks stay a day (housekeeping), far longer than any
 * request that raced them.
 */

/** Marks one grant revoked: the first write of the transaction that revokes it. */
export async function markGrantRevoked(tx: Tx, grantId: string, now: Date): Promise<void> {
  await tx.$executeRaw`INSERT INTO "revoked_grants" ("grantId", "revokedAt") VALUES (${grantId}, ${now})
    ON CONFLICT DO NOTHING`;
}

/**
 * Marks every grant of the subject (to one client, or to all) that could
 * still issue a token: those of the flow (authorization_grants) and those of
 * any unrevoked refresh token.
 */
export async function markSubjectGrantsRevoked(
  tx: Tx,
  subject: string,
  clientId: string | undefined,
  now: Date,
): Promise<void> {
  // `WHERE true`: SQLite reads an ON CONFLICT right after a FROM as a join's ON. `ORDER BY`: two
  // revocations of one subject at once (the app's outbox and its CLI) insert the same marks; in
  // one order they queue behind each other, in two orders they deadlock (PostgreSQL).
  if (clientId === undefined) {
    await tx.$executeRaw`INSERT INTO "revoked_grants" ("grantId", "revokedAt")
      SELECT g."grantId", ${now} FROM (
        SELECT "grantId" FROM "authorization_grants" WHERE "subject" = ${subject}
        UNION SELECT "grantId" FROM "refresh_tokens" WHERE "subject" = ${subject} AND "revokedAt" IS NULL
      ) g WHERE true ORDER BY g."grantId" ON CONFLICT DO NOTHING`;
  } else {
    await tx.$executeRaw`INSERT INTO "revoked_grants" ("grantId", "revokedAt")
      SELECT g."grantId", ${now} FROM (
        SELECT "grantId" FROM "authorization_grants" WHERE "subject" = ${subject} AND "clientId" = ${clientId}
        UNION SELECT "grantId" FROM "refresh_tokens"
          WHERE "subject" = ${subject} AND "clientId" = ${clientId} AND "revokedAt" IS NULL
      ) g WHERE true ORDER BY g."grantId" ON CONFLICT DO NOTHING`;
  }
}

/**
 * Marks every grant of a client being deleted, so that its codes and tokens
 * stay dead even should a client with the same id be created again.
 */
export async function markClientGrantsRevoked(tx: Tx, clientId: string, now: Date): Promise<void> {
  await tx.$executeRaw`INSERT INTO "revoked_grants" ("grantId", "revokedAt")
    SELECT g."grantId", ${now} FROM (
      SELECT "grantId" FROM "authorization_grants" WHERE "clientId" = ${clientId}
      UNION SELECT "grantId" FROM "refresh_tokens" WHERE "clientId" = ${clientId} AND "revokedAt" IS NULL
    ) g WHERE true ORDER BY g."grantId" ON CONFLICT DO NOTHING`;
}

/**
 * The grant not revoked, as a condition of the transaction that redeems a
 * code or refresh token: refused ("revoked") when it is.
 */
export function notRevoked(grantId: string): Write<"revoked"> {
  return findsNoRow(`SELECT 1 FROM "revoked_grants" WHERE "grantId" = $1`, [grantId], "revoked");
}
