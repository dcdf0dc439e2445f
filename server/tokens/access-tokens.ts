import { type Database, rawQueries } from "@/db/client.ts";
import { insertRow, type Revisions, type Write } from "@/db/raw.ts";
import { ACCESS_TOKEN_ROW } from "@/db/rows.ts";
import type { AccessToken } from "@/generated/prisma/sqlite/client.ts";
import { type Snapshot, StaleSnapshot } from "@/server/http/snapshot.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { hashToken, randomToken } from "./secrets.ts";

/** What the server knows of an access token; the token itself is never stored. */
export interface AccessTokenRecord {
  grantId: string;
  clientId: string;
  subject: string;
  scopes: string[];
  extra: Record<string, unknown>;
  issuedAt: Date;
  expiresAt: Date;
  /**
   * The token's own access-token audience (a client_credentials token's, Hydra 2.x); undefined
   * for a token whose audience is its grant's (authorization_grants: what the consent granted).
   */
  audience?: string[];
}

interface NewAccessToken {
  grantId: string;
  clientId: string;
  subject: string;
  scopes: string[];
  extra?: Record<string, unknown>;
  /** Stored with the token itself (client_credentials); without it, the grant's audience applies. */
  audience?: string[];
}

/** A hash no token has (tokens hash to 43 base64url characters): for an invalid token's lookup. */
const NO_TOKEN = "";

/**
 * Access tokens: opaque, 256-bit, stored under an HMAC keyed by SYSTEM_SECRET.
 * Invalidation: a token stops being active when it expires, when it is
 * revoked, when its grant is revoked (code replay, refresh-token reuse,
 * revocation of the refresh token it came with, consent revocation), or when
 * its client is deleted. The last two are checked in every lookup (db/raw.ts
 * `usable`), so they hold for a token written while the revocation ran.
 */
export class AccessTokens {
  private readonly raw;

  constructor(
    private readonly db: Database,
    private readonly hashKey: Buffer,
    private readonly lifespanMs: number,
  ) {
    this.raw = rawQueries(db);
  }

  hash(token: string): string {
    return hashToken(this.hashKey, token);
  }

  get lifespanSeconds(): number {
    return Math.floor(this.lifespanMs / 1000);
  }

  /** Whether `issue` can make the insert conditional on a client revision in the same statement. */
  get confirmsClientRevision(): boolean {
    return this.raw.insertAccessTokenAtClientRevision !== undefined;
  }

  /**
   * Issues a token. When the request's snapshot asks the write to confirm
   * the client revision its clients were read at, the row is written only if
   * that revision is still current, in the same statement; otherwise nothing
   * is written and StaleSnapshot is thrown.
   */
  async issue(
    input: NewAccessToken,
    snapshot?: Snapshot,
  ): Promise<{ token: string; record: AccessTokenRecord }> {
    const { token, row, record } = this.newRow(input);
    const clientRevision = snapshot?.confirmRevision;
    if (clientRevision !== undefined && this.raw.insertAccessTokenAtClientRevision) {
      const written = await this.raw.insertAccessTokenAtClientRevision(row, clientRevision);
      if (!written) throw new StaleSnapshot();
      snapshot?.confirmed();
    } else await this.raw.insertAccessToken(row);
    return { token, record };
  }

  /** A new token, and storing it as a write of a larger transaction (a grant's). */
  newToken(input: NewAccessToken): { token: string; insert: Write } {
    const { token, row } = this.newRow(input);
    return { token, insert: insertRow(ACCESS_TOKEN_ROW, row) };
  }

  private newRow(input: NewAccessToken): { token: string; row: AccessToken; record: AccessTokenRecord } {
    const token = randomToken();
    const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const expiresAt = new Date(issuedAt.getTime() + this.lifespanMs);
    const extra = input.extra ?? {};
    const row: AccessToken = {
      hash: this.hash(token),
      grantId: input.grantId,
      clientId: input.clientId,
      subject: input.subject,
      scopes: input.scopes.join(" "),
      extra: JSON.stringify(extra),
      issuedAt,
      expiresAt,
      revokedAt: null,
      audience: input.audience ? input.audience.join(" ") : null,
    };
    return { token, row, record: { ...input, extra, issuedAt, expiresAt } };
  }

  /** The token's record when it is known, unexpired, unrevoked and usable (client and grant); else null. */
  async findActive(token: string): Promise<AccessTokenRecord | null> {
    if (!token || token.length > 512) return null;
    const hash = this.hash(token);
    return active(await this.raw.accessTokenByHash(hash));
  }

  /**
   * As findActive, with the policy and client revisions read in the same
   * statement (one round trip): a request's snapshot (server/http/snapshot.ts).
   */
  async findActiveWithRevisions(
    token: string,
  ): Promise<{ token: AccessTokenRecord | null; revisions: Revisions }> {
    const valid = Boolean(token) && token.length <= 512;
    const { token: row, ...revisions } = await this.raw.accessTokenWithRevisions(
      valid ? this.hash(token) : NO_TOKEN,
    );
    return { token: valid ? active(row) : null, revisions };
  }

  /** Revokes one token if it belongs to `clientId`; answers whether it did. */
  async revoke(token: string, clientId: string): Promise<boolean> {
    const result = await this.db.accessToken.updateMany({
      where: { hash: this.hash(token), clientId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return result.count > 0;
  }

  /** Revokes every access token issued to the client; answers how many were active. */
  async revokeAllOfClient(clientId: string): Promise<number> {
    const { count } = await this.db.accessToken.updateMany({
      where: { clientId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count;
  }
}

/** The record of a row that is unexpired and unrevoked; else null. */
function active(row: AccessToken | null): AccessTokenRecord | null {
  if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return null;
  return {
    grantId: row.grantId,
    clientId: row.clientId,
    subject: row.subject,
    scopes: splitScopes(row.scopes),
    extra: row.extra === "{}" ? {} : (JSON.parse(row.extra) as Record<string, unknown>),
    issuedAt: row.issuedAt,
    expiresAt: row.expiresAt,
    ...(row.audience !== null ? { audience: splitScopes(row.audience) } : {}),
  };
}
