import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import type { IdTokenSigner } from "@/server/keys/store.ts";

/** The claims the server itself sets in every ID token it may issue; discovery publishes them. */
export const ID_TOKEN_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash"];

export const ID_TOKEN_SIGNING_ALGS = ["RS256"];

/**
 * Claims with a protocol meaning that `idTokenExtra` may never set: a
 * consent app could otherwise change who or what the token is about.
 */
const RESERVED_CLAIMS = new Set([
  ...ID_TOKEN_CLAIMS,
  "nbf",
  "jti",
  "azp",
  "acr",
  "amr",
  "sid",
  "s_hash",
  "cnf",
  "typ",
]);

export interface IdTokenInput {
  clientId: string;
  subject: string;
  authTime: Date;
  nonce?: string | null;
  /** Set when an access token is issued alongside: at_hash. */
  accessToken?: string;
  /** Set when the authorization endpoint returns a code alongside: c_hash. */
  code?: string;
  extra: Record<string, unknown>;
}

/**
 * OpenID Connect Core §3.1.3.6 / §3.3.2.11: the left-most half of the
 * SHA-256 of the ASCII value, base64url — SHA-256 because ID tokens are RS256.
 */
export function halfHash(value: string): string {
  return createHash("sha256").update(value, "ascii").digest().subarray(0, 16).toString("base64url");
}

/**
 * ID tokens (OpenID Connect Core §2): RS256 JWTs signed with the private key
 * of `hydra.openid.id-token`, header `kid` naming the published public key.
 */
export class IdTokens {
  constructor(
    private readonly keys: { idTokenSigner(): Promise<IdTokenSigner> },
    private readonly issuer: string,
    private readonly lifespanMs: number,
  ) {}

  async sign(input: IdTokenInput): Promise<string> {
    const signer = await this.keys.idTokenSigner();
    if (!ID_TOKEN_SIGNING_ALGS.includes(signer.alg)) {
      throw new Error(
        `The ID-token signing key is ${signer.alg}; discovery promises ${ID_TOKEN_SIGNING_ALGS}`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const extra = Object.fromEntries(
      Object.entries(input.extra).filter(([name]) => !RESERVED_CLAIMS.has(name)),
    );
    const claims: Record<string, unknown> = {
      ...extra,
      iss: this.issuer,
      sub: input.subject,
      aud: input.clientId,
      iat: now,
      exp: now + Math.floor(this.lifespanMs / 1000),
      auth_time: Math.floor(input.authTime.getTime() / 1000),
    };
    if (input.nonce) claims.nonce = input.nonce;
    if (input.accessToken !== undefined) claims.at_hash = halfHash(input.accessToken);
    if (input.code !== undefined) claims.c_hash = halfHash(input.code);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" })
      .sign(signer.key);
  }
}
