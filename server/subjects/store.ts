import type { Database } from "@/db/client.ts";
import { findsNoRow, type Write } from "@/db/raw.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { markGrantRevoked, markSubjectGrantsRevoked } from "@/server/tokens/revoked-grants.ts";

/** One client a subject let in and that still holds something usable for them. */
export interface SubjectGrant {
  clientId: string;
  /** Every scope granted to the client across the subject's live grants, first-granted first. */
  scopes: string[];
  /** Every access-token audience granted with them (Hydra 2.x's grant_access_token_audience), likewise. */
  audience: string[];
  /** When the oldest of those grants was given. */
  grantedAt: Date;
  /** The consent requests those grants came from (none known for grants issued before they were kept). */
  consentRequestIds: string[];
}

type Db = Pick<
  Database,
  | "accessToken"
  | "refreshToken"
  | "authorizationCode"
  | "consentRequest"
  | "authorizationGrant"
  | "rememberedConsent"
  | "$executeRaw"
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

  /**
   * Every client with an unexpired, unrevoked token or an unused code for the subject; with `sid`,
   * only the grants made in that login session (their sign-in's `sid`, Hydra 2.x's login_session_id).
   */
  async list(subject: string, filter: { sid?: string } = {}, now = new Date()): Promise<SubjectGrant[]> {
    const refreshIssuedAfter =
      this.refreshTokenLifespanMs > 0 ? new Date(now.getTime() - this.refreshTokenLifespanMs) : undefined;
    // The login session's grants, found by their authorization grant (a token records no session).
    const inSession =
      filter.sid === undefined
        ? {}
        : {
            grantId: {
              in: (
                await this.db.authorizationGrant.findMany({
                  where: { subject, sid: filter.sid },
                  select: { grantId: true },
                })
              ).map((row) => row.grantId),
            },
          };
    const [access, refresh, codes] = await Promise.all([
      this.db.accessToken.findMany({
        where: { subject, revokedAt: null, expiresAt: { gt: now }, ...inSession },
        select: { grantId: true, clientId: true, scopes: true, issuedAt: true },
      }),
      this.db.refreshToken.findMany({
        where: {
          subject,
          revokedAt: null,
          usedAt: null,
          ...(refreshIssuedAfter ? { issuedAt: { gt: refreshIssuedAfter } } : {}),
          ...inSession,
        },
        select: { grantId: true, clientId: true, scopes: true, authTime: true },
      }),
      this.db.authorizationCode.findMany({
        where: { subject, usedAt: null, expiresAt: { gt: now }, ...inSession },
        select: { grantId: true, clientId: true, scopes: true, authTime: true },
      }),
    ]);
    const grants = [
      ...access.map((row) => ({ ...row, at: row.issuedAt })),
      ...refresh.map((row) => ({ ...row, at: row.authTime })),
      ...codes.map((row) => ({ ...row, at: row.authTime })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    const recorded = new Map(
      (
        await this.db.authorizationGrant.findMany({
          where: { grantId: { in: [...new Set(grants.map((grant) => grant.grantId))] } },
          select: { grantId: true, audience: true, consentRequestId: true },
        })
      ).map((row) => [row.grantId, row]),
    );
    const byClient = new Map<string, SubjectGrant>();
    for (const grant of grants) {
      const entry = byClient.get(grant.clientId) ?? {
        clientId: grant.clientId,
        scopes: [],
        audience: [],
        grantedAt: grant.at,
        consentRequestIds: [],
      };
      const row = recorded.get(grant.grantId);
      addNew(entry.scopes, splitScopes(grant.scopes));
      addNew(entry.audience, splitScopes(row?.audience ?? ""));
      if (row?.consentRequestId) addNew(entry.consentRequestIds, [row.consentRequestId]);
      byClient.set(grant.clientId, entry);
    }
    return [...byClient.values()].sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  /**
   * Revokes what the subject granted — to one client, or to every client:
   * every access and refresh token, unused codes, and consent requests that
   * were accepted but have not yet been turned into tokens; with
   * `forgetRemembered` (Hydra 2.x's consent sessions), the subject's
   * remembered consents to those clients too, so that no later request
   * skips the consent step. One transaction.
   */
  async revoke(
    subject: string,
    clientId?: string,
    options: { forgetRemembered?: boolean } = {},
  ): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await revokeIn(tx, subject, clientId);
      if (options.forgetRemembered)
        await tx.rememberedConsent.deleteMany({ where: clientId ? { subject, clientId } : { subject } });
    });
  }

  /**
   * Revokes what one consent request granted (Hydra 2.x's consent_request_id): the grants it
   * issued, every access and refresh token of them (refreshed ones too: they share the grant) and
   * their unused codes; the request itself if accepted but not yet turned into tokens; and the
   * remembered consent its acceptance wrote, if no later one replaced it. One transaction.
   * Answers whether there was such a request.
   */
  async revokeConsentRequest(consentRequestId: string): Promise<boolean> {
    return await this.db.$transaction(async (tx) => {
      const now = new Date();
      // First, as revokeIn does: an authorization response using the request at the same time either
      // committed its grant before this reads the grants, or finds the request used.
      const used = await tx.consentRequest.updateMany({
        where: { id: consentRequestId, status: "accepted", usedAt: null },
        data: { usedAt: now },
      });
      const grantIds = (
        await tx.authorizationGrant.findMany({
          where: { consentRequestId },
          select: { grantId: true },
          orderBy: { grantId: "asc" },
        })
      ).map((row) => row.grantId);
      for (const grantId of grantIds) await markGrantRevoked(tx, grantId, now);
      if (grantIds.length > 0) {
        const of = { grantId: { in: grantIds } };
        await tx.accessToken.updateMany({ where: { ...of, revokedAt: null }, data: { revokedAt: now } });
        await tx.refreshToken.updateMany({ where: { ...of, revokedAt: null }, data: { revokedAt: now } });
        await tx.authorizationCode.deleteMany({ where: { ...of, usedAt: null } });
      }
      const forgotten = await tx.rememberedConsent.deleteMany({ where: { consentRequestId } });
      return used.count > 0 || grantIds.length > 0 || forgotten.count > 0;
    });
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
