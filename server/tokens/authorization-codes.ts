import { type Database, rawQueries } from "@/db/client.ts";
import { changesOneRow, insertRow, type Write } from "@/db/raw.ts";
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
  /**
   * The redirect URI the code went to. `redirectUriGiven`: the authorization request named it, so
   * the token request must too (RFC 6749 §4.1.3); false: it was the client's only one then (or ""
   * on a row from before this was recorded).
   */
  redirectUri: string;
  redirectUriGiven: boolean;
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

const USE = `UPDATE "authorization_codes" SET "usedAt" = $1 WHERE "hash" = $2 AND "usedAt" IS NULL`;

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

  /** A new code, and storing it as a write of the transaction that answers the authorization request. */
  newCode(input: NewAuthorizationCode): { code: string; insert: Write } {
    const code = randomToken();
    const insert = insertRow(AUTHORIZATION_CODE_ROW, {
      hash: this.hash(code),
      grantId: input.grantId,
      clientId: input.clientId,
      subject: input.subject,
      scopes: input.scopes.join(" "),
      redirectUri: input.redirectUri,
      redirectUriGiven: input.redirectUriGiven,
      codeChallenge: input.codeChallenge,
      challengeMethod: input.challengeMethod,
      nonce: input.nonce,
      authTime: input.authTime,
      accessTokenExtra: JSON.stringify(input.accessTokenExtra),
      idTokenExtra: JSON.stringify(input.idTokenExtra),
      expiresAt: new Date(Date.now() + this.lifespanMs),
      usedAt: null,
      createdAt: new Date(),
    });
    return { code, insert };
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

  /**
   * Marking the code used, as a write of the token request's transaction:
   * refused ("used") when it already was (a concurrent redemption won).
   */
  use(hash: string): Write<"used"> {
    return changesOneRow(USE, [new Date(), hash], "used");
  }
}
