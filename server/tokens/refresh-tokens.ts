import { type Database, rawQueries } from "@/db/client.ts";
import { changesOneRow, insertRow, type RowShape, type Write } from "@/db/raw.ts";
import { REFRESH_TOKEN_ROW, USABLE_REFRESH_TOKEN_ROW } from "@/db/rows.ts";
import type { RefreshToken } from "@/generated/prisma/sqlite/client.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { markGrantRevoked } from "./revoked-grants.ts";
import { hashToken, randomToken } from "./secrets.ts";

interface RefreshTokenRecord {
  hash: string;
  grantId: string;
  clientId: string;
  subject: string;
  scopes: string[];
  accessTokenExtra: Record<string, unknown>;
  idTokenExtra: Record<string, unknown>;
  authTime: Date;
  issuedAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

type NewRefreshToken = Pick<
  RefreshTokenRecord,
  "grantId" | "clientId" | "subject" | "scopes" | "accessTokenExtra" | "idTokenExtra" | "authTime"
>;

function recordOf(row: RefreshToken): RefreshTokenRecord {
  return {
    ...row,
    scopes: splitScopes(row.scopes),
    accessTokenExtra: JSON.parse(row.accessTokenExtra) as Record<string, unknown>,
    idTokenExtra: JSON.parse(row.idTokenExtra) as Record<string, unknown>,
  };
}

/**
 * Using a token: unused and unrevoked, or (grace period) used since $3 and
 * unrevoked — then its first use stays recorded. $3 is null without a grace period.
 */
const USE = `UPDATE "refresh_tokens" SET "usedAt" = COALESCE("usedAt", $1)
  WHERE "hash" = $2 AND "revokedAt" IS NULL AND ("usedAt" IS NULL OR "usedAt" >= $3)`;

/**
 * Refresh tokens: opaque, 256-bit, stored under an HMAC. Every use rotates
 * the token (the used one keeps usedAt); presenting a used token again means
 * two parties hold it, so its whole grant — every access and refresh token
 * issued since the authorization — is revoked (OAuth 2.0 Security BCP §4.14).
 * They expire after REFRESH_TOKEN_LIFESPAN when that is set.
 */
export class RefreshTokens {
  constructor(
    private readonly db: Database,
    private readonly hashKey: Buffer,
    private readonly lifespanMs: number,
    /** Derived from SYSTEM_SECRET_PREVIOUS: tokens stored under one are still found (a rotation). */
    private readonly previousHashKeys: readonly Buffer[] = [],
  ) {}

  hash(token: string): string {
    return hashToken(this.hashKey, token);
  }

  /**
   * The row stored under the token's hash; only when there is none, and only
   * while SYSTEM_SECRET_PREVIOUS is set, under its hash by a previous secret.
   * The record keeps the hash it was found under, so using it changes that row.
   */
  private async rowOf<Row>(shape: RowShape<Row>, token: string): Promise<Row | null> {
    const raw = rawQueries(this.db);
    const row = await raw.rowByKey(shape, this.hash(token));
    if (row || this.previousHashKeys.length === 0) return row;
    for (const key of this.previousHashKeys) {
      const old = await raw.rowByKey(shape, hashToken(key, token));
      if (old) return old;
    }
    return null;
  }

  /** A new token, and storing it as a write of the token request's transaction. */
  newToken(input: NewRefreshToken): { token: string; insert: Write } {
    const token = randomToken();
    const insert = insertRow(REFRESH_TOKEN_ROW, {
      hash: this.hash(token),
      grantId: input.grantId,
      clientId: input.clientId,
      subject: input.subject,
      scopes: input.scopes.join(" "),
      accessTokenExtra: JSON.stringify(input.accessTokenExtra),
      idTokenExtra: JSON.stringify(input.idTokenExtra),
      authTime: input.authTime,
      // Whole seconds, as `iat` and `exp` say them: stored to the millisecond, a token stayed usable
      // up to a second past the `exp` the 2.x introspection gave it.
      issuedAt: new Date(Math.floor(Date.now() / 1000) * 1000),
      usedAt: null,
      revokedAt: null,
    });
    return { token, insert };
  }

  async find(token: string): Promise<RefreshTokenRecord | null> {
    if (!token || token.length > 512) return null;
    const row = await this.rowOf(REFRESH_TOKEN_ROW, token);
    return row ? recordOf(row) : null;
  }

  /**
   * The token's record when another party may still rely on it: unused,
   * unrevoked, unexpired, its client existing and its grant not revoked
   * (introspection); else null.
   */
  async findActive(token: string): Promise<RefreshTokenRecord | null> {
    if (!token || token.length > 512) return null;
    const row = await this.rowOf(USABLE_REFRESH_TOKEN_ROW, token);
    if (!row) return null;
    const record = recordOf(row);
    return record.usedAt || record.revokedAt || this.isExpired(record) ? null : record;
  }

  isExpired(record: RefreshTokenRecord, now = Date.now()): boolean {
    return this.lifespanMs > 0 && record.issuedAt.getTime() + this.lifespanMs <= now;
  }

  /**
   * Using the token, as a write of the token request's transaction: it must
   * be unrevoked and unused — or used at most `graceMs` ago (0: no grace),
   * the same app refreshing twice at once. Refused ("used") otherwise.
   */
  use(hash: string, graceMs: number): Write<"used"> {
    const now = new Date();
    const usedSince = graceMs > 0 ? new Date(now.getTime() - graceMs) : null;
    return changesOneRow(USE, [now, hash, usedSince], "used");
  }

  /** The grant of the calling client's refresh token, or undefined when it is not one. */
  async grantOf(token: string, clientId: string): Promise<string | undefined> {
    if (!token || token.length > 512) return undefined;
    const row = await this.rowOf(REFRESH_TOKEN_ROW, token);
    return row && row.clientId === clientId ? row.grantId : undefined;
  }
}

/**
 * Revokes a grant: every access and refresh token issued under it. Used on
 * code replay, refresh-token reuse and revocation of a refresh token. The
 * grant is marked first (see revoked-grants.ts): a token an exchange writes
 * while this runs is refused when it is read.
 */
export async function revokeGrant(
  db: Pick<Database, "accessToken" | "refreshToken" | "$executeRaw">,
  grantId: string,
) {
  const now = new Date();
  await markGrantRevoked(db, grantId, now);
  await db.accessToken.updateMany({ where: { grantId, revokedAt: null }, data: { revokedAt: now } });
  await db.refreshToken.updateMany({ where: { grantId, revokedAt: null }, data: { revokedAt: now } });
}
