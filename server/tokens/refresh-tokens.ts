import type { Database } from "@/db/client.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
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

type Db = Pick<Database, "refreshToken">;

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
  ) {}

  hash(token: string): string {
    return hashToken(this.hashKey, token);
  }

  async issue(input: NewRefreshToken, db: Db = this.db): Promise<string> {
    const token = randomToken();
    await db.refreshToken.create({
      data: {
        hash: this.hash(token),
        grantId: input.grantId,
        clientId: input.clientId,
        subject: input.subject,
        scopes: input.scopes.join(" "),
        accessTokenExtra: JSON.stringify(input.accessTokenExtra),
        idTokenExtra: JSON.stringify(input.idTokenExtra),
        authTime: input.authTime,
        issuedAt: new Date(),
      },
    });
    return token;
  }

  async find(token: string): Promise<RefreshTokenRecord | null> {
    if (!token || token.length > 512) return null;
    const row = await this.db.refreshToken.findUnique({ where: { hash: this.hash(token) } });
    if (!row) return null;
    return {
      ...row,
      scopes: splitScopes(row.scopes),
      accessTokenExtra: JSON.parse(row.accessTokenExtra) as Record<string, unknown>,
      idTokenExtra: JSON.parse(row.idTokenExtra) as Record<string, unknown>,
    };
  }

  isExpired(record: RefreshTokenRecord, now = Date.now()): boolean {
    return this.lifespanMs > 0 && record.issuedAt.getTime() + this.lifespanMs <= now;
  }

  /** Marks the token used; false when it already was used or revoked. */
  async consume(hash: string, db: Db = this.db): Promise<boolean> {
    const { count } = await db.refreshToken.updateMany({
      where: { hash, usedAt: null, revokedAt: null },
      data: { usedAt: new Date() },
    });
    return count === 1;
  }

  /** When the token was first used, if it was and is not revoked; else null. */
  async usedAtIfUnrevoked(hash: string, db: Db = this.db): Promise<Date | null> {
    const row = await db.refreshToken.findUnique({
      where: { hash },
      select: { usedAt: true, revokedAt: true },
    });
    return row && !row.revokedAt ? row.usedAt : null;
  }

  /** The grant of the calling client's refresh token, or undefined when it is not one. */
  async grantOf(token: string, clientId: string): Promise<string | undefined> {
    if (!token || token.length > 512) return undefined;
    const row = await this.db.refreshToken.findUnique({
      where: { hash: this.hash(token) },
      select: { grantId: true, clientId: true },
    });
    return row && row.clientId === clientId ? row.grantId : undefined;
  }
}

/**
 * Revokes a grant: every access and refresh token issued under it. Used on
 * code replay, refresh-token reuse and revocation of a refresh token.
 */
export async function revokeGrant(db: Pick<Database, "accessToken" | "refreshToken">, grantId: string) {
  const now = new Date();
  await db.accessToken.updateMany({ where: { grantId, revokedAt: null }, data: { revokedAt: now } });
  await db.refreshToken.updateMany({ where: { grantId, revokedAt: null }, data: { revokedAt: now } });
}
