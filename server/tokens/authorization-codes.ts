import { type Database, rawQueries } from "@/db/client.ts";
import { AUTHORIZATION_CODE_ROW } from "@/db/rows.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { hashToken, randomToken } from "./secrets.ts";

/** What an authorization code stands for; the code itself is never stored. */
interface AuthorizationCodeRecord {
  hash: string;
  grantId: string;
  clientId: string;
  subject: string;
  scopes: string[];
  /** The redirect_uri the authorization request named, or "" when it relied on the only registered one. */
  redirectUri: string;
  codeChallenge: string | null;
  challengeMethod: string | null;
  nonce: string | null;
  authTime: Date;
  accessTokenExtra: Record<string, unknown>;
  idTokenExtra: Record<string, unknown>;
  expiresAt: Date;
  usedAt: Date | null;
}

type NewAuthorizationCode = Omit<AuthorizationCodeRecord, "hash" | "expiresAt" | "usedAt">;

type Db = Pick<Database, "authorizationCode">;

/**
 * Authorization codes (RFC 6749 §4.1.2, §10.5): 256-bit, stored under an
 * HMAC, short-lived (AUTH_CODE_LIFESPAN) and single-use. A used code keeps
 * its row (usedAt) until it expires, so presenting it again is recognised as
 * a replay and revokes its grant.
 */
export class AuthorizationCodes {
  constructor(
    private readonly db: Database,
    private readonly hashKey: Buffer,
    private readonly lifespanMs: number,
  ) {}

  hash(code: string): string {
    return hashToken(this.hashKey, code);
  }

  async issue(input: NewAuthorizationCode, db: Db = this.db): Promise<string> {
    const code = randomToken();
    await db.authorizationCode.create({
      data: {
        hash: this.hash(code),
        grantId: input.grantId,
        clientId: input.clientId,
        subject: input.subject,
        scopes: input.scopes.join(" "),
        redirectUri: input.redirectUri,
        codeChallenge: input.codeChallenge,
        challengeMethod: input.challengeMethod,
        nonce: input.nonce,
        authTime: input.authTime,
        accessTokenExtra: JSON.stringify(input.accessTokenExtra),
        idTokenExtra: JSON.stringify(input.idTokenExtra),
        expiresAt: new Date(Date.now() + this.lifespanMs),
      },
    });
    return code;
  }

  async find(code: string): Promise<AuthorizationCodeRecord | null> {
    if (!code || code.length > 512) return null;
    const row = await rawQueries(this.db).rowByKey(AUTHORIZATION_CODE_ROW, this.hash(code));
    if (!row) return null;
    return {
      ...row,
      scopes: splitScopes(row.scopes),
      accessTokenExtra: JSON.parse(row.accessTokenExtra) as Record<string, unknown>,
      idTokenExtra: JSON.parse(row.idTokenExtra) as Record<string, unknown>,
    };
  }

  /** Marks the code used; false when it already was (a concurrent redemption won). */
  async consume(hash: string, db: Db = this.db): Promise<boolean> {
    const { count } = await db.authorizationCode.updateMany({
      where: { hash, usedAt: null },
      data: { usedAt: new Date() },
    });
    return count === 1;
  }
}
