import type { Database } from "@/db/client.ts";
import { findsNoRow, type Write } from "@/db/raw.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { markSubjectGrantsRevoked } from "@/server/tokens/revoked-grants.ts";

/** One client a subject let in and that still holds something usable for them. */
export interface SubjectGrant {
  clientId: string;
  /** Every scope granted to the client across the subject's live grants, first-granted first. */
  scopes: string[];
  /** Every access-token audience granted with them (Hydra 2.x's grant_access_token_audience), likewise. */
  audience: string[];
  /** When the oldest of those grants was given. */
  grantedAt: Date;
}

type Db = Pick<
  Database,
  "accessToken" | "refreshToken" | "authorizationCode" | "consentRequest" | "$executeRaw"
>;

function addNew(list: string[], values: string[]): void {
  for (const value of values) if (!list.includes(value)) list.push(value);
}

/**
 * What a subject (a person of the login & consent app) has granted, and
 * taking it back. Everything lives in the database: access tokens are looked
 * up on every use and no process keeps them, so a revocation applies at once
 * on every instance. A deleted subject is remembered, and the code and
 * refresh grants refuse it whatever token turns up later.
 */
export class SubjectGrants {
  constructor(
    private readonly db: Database,
    /** Refresh tokens older than this are dead (0: they do not expire). */
    private readonly refreshTokenLifespanMs: number,
  ) {}

  /** Every client with an unexpired, unrevoked token or an unused code for the subject. */
  async list(subject: string, now = new Date()): Promise<SubjectGrant[]> {
    const refreshIssuedAfter =
      this.refreshTokenLifespanMs > 0 ? new Date(now.getTime() - this.refreshTokenLifespanMs) : undefined;
    const [access, refresh, codes] = await Promise.all([
      this.db.accessToken.findMany({
        where: { subject, revokedAt: null, expiresAt: { gt: now } },
        select: { grantId: true, clientId: true, scopes: true, issuedAt: true },
      }),
      this.db.refreshToken.findMany({
        where: {
          subject,
          revokedAt: null,
          usedAt: null,
          ...(refreshIssuedAfter ? { issuedAt: { gt: refreshIssuedAfter } } : {}),
        },
        select: { grantId: true, clientId: true, scopes: true, authTime: true },
      }),
      this.db.authorizationCode.findMany({
        where: { subject, usedAt: null, expiresAt: { gt: now } },
        select: { grantId: true, clientId: true, scopes: true, authTime: true },
      }),
    ]);
    const grants = [
      ...access.map((row) => ({ ...row, at: row.issuedAt })),
      ...refresh.map((row) => ({ ...row, at: row.authTime })),
      ...codes.map((row) => ({ ...row, at: row.authTime })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    const audiences = new Map(
      (
        await this.db.authorizationGrant.findMany({
          where: {
            grantId: { in: [...new Set(grants.map((grant) => grant.grantId))] },
            audience: { not: "" },
          },
          select: { grantId: true, audience: true },
        })
      ).map((row) => [row.grantId, splitScopes(row.audience)]),
    );
    const byClient = new Map<string, SubjectGrant>();
    for (const grant of grants) {
      const entry = byClient.get(grant.clientId) ?? {
        clientId: grant.clientId,
        scopes: [],
        audience: [],
        grantedAt: grant.at,
      };
      addNew(entry.scopes, splitScopes(grant.scopes));
      addNew(entry.audience, audiences.get(grant.grantId) ?? []);
      byClient.set(grant.clientId, entry);
    }
    return [...byClient.values()].sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  /**
   * Revokes what the subject granted — to one client, or to every client:
   * every access and refresh token, unused codes, and consent requests that
   * were accepted but have not yet been turned into tokens. One transaction.
   */
  async revoke(subject: string, clientId?: string): Promise<void> {
    await this.db.$transaction((tx) => revokeIn(tx, subject, clientId));
  }

  /**
   * Records the subject as deleted, then revokes everything it granted. The
   * mark is committed first: a refresh that raced the revocation then still
   * finds the mark when it is checked, and is refused.
   */
  async markDeleted(subject: string): Promise<void> {
    // One statement: Prisma's upsert reads, then inserts, so two deletions of one person at once
    // (the app's outbox and its CLI) made one of them fail on the key.
    await this.db.$executeRaw`INSERT INTO "deleted_subjects" ("subject", "deletedAt")
      VALUES (${subject}, ${new Date()}) ON CONFLICT DO NOTHING`;
    await this.revoke(subject);
  }

  /** The subject not deleted, as a condition of a grant's transaction: refused ("deleted") when it is. */
  notDeleted(subject: string): Write<"deleted"> {
    return findsNoRow(`SELECT 1 FROM "deleted_subjects" WHERE "subject" = $1`, [subject], "deleted");
  }
}

/**
 * Accepted consent requests are used up first: an authorization response
 * that uses one at the same time either wins its row lock first (then every
 * grant, code and token it wrote is committed before the next statements
 * read) or finds the request used. Then the grants are marked revoked (see
 * revoked-grants.ts), before their tokens: a refresh or code exchange that
 * commits while this runs is refused when its tokens are read.
 */
async function revokeIn(tx: Db, subject: string, clientId: string | undefined): Promise<void> {
  const now = new Date();
  const of = clientId === undefined ? { subject } : { subject, clientId };
  await tx.consentRequest.updateMany({
    where: { subject, status: "accepted", usedAt: null, ...(clientId === undefined ? {} : { clientId }) },
    data: { usedAt: now },
  });
  await markSubjectGrantsRevoked(tx, subject, clientId, now);
  await tx.accessToken.updateMany({ where: { ...of, revokedAt: null }, data: { revokedAt: now } });
  await tx.refreshToken.updateMany({ where: { ...of, revokedAt: null }, data: { revokedAt: now } });
  await tx.authorizationCode.deleteMany({ where: { ...of, usedAt: null } });
}
