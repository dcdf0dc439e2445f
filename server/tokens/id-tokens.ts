import { createHash } from "node:crypto";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, SignJWT } from "jose";
import type { JwkSet } from "@/server/keys/schemas.ts";
import type { IdTokenSigner } from "@/server/keys/store.ts";

/** Back-Channel Logout 1.0 §2.4: the event that makes a JWT a logout token. */
const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** The claims the server itself sets in every ID token it may issue; discovery publishes them. */
export const ID_TOKEN_CLAIMS = [
  "iss",
  "sub",
  "aud",
  "exp",
  "iat",
  "auth_time",
  "nonce",
  "at_hash",
  "c_hash",
  "amr",
  "acr",
  "sid",
];

export const ID_TOKEN_SIGNING_ALGS = ["RS256"];

/** A logout token is delivered at once (and retried within a minute): two minutes is plenty. */
const LOGOUT_TOKEN_LIFESPAN_S = 120;

/**
 * Claims with a protocol meaning that `idTokenExtra` may never set: a
 * consent app could otherwise change who or what the token is about.
 */
export const RESERVED_CLAIMS = new Set([
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

interface IdTokenInput {
  clientId: string;
  subject: string;
  authTime: Date;
  nonce?: string | null;
  /** Set when an access token is issued alongside: at_hash. */
  accessToken?: string;
  /** Set when the authorization endpoint returns a code alongside: c_hash. */
  code?: string;
  extra: Record<string, unknown>;
  /** RFC 8176 methods of the sign-in; left out when empty. */
  amr?: string[];
  acr?: string;
  /** The session the sign-in belongs to (Back-Channel Logout 1.0 §2.1). */
  sid?: string;
}

/** What an `id_token_hint` tells once its signature and issuer are checked. */
export interface IdTokenHint {
  subject: string;
  audience: string[];
  sid?: string;
}

/**
 * OpenID Connect Core §3.1.3.6 / §3.3.2.11: the left-most half of the
 * SHA-256 of the ASCII value, base64url — SHA-256 because ID tokens are RS256.
 */
function halfHash(value: string): string {
  return createHash("sha256").update(value, "ascii").digest().subarray(0, 16).toString("base64url");
}

/**
 * ID tokens (OpenID Connect Core §2): RS256 JWTs signed with the newest
 * private key of `hydra.openid.id-token` (KeyStore.idTokenSigner), header
 * `kid` naming its published public half.
 */
export class IdTokens {
  constructor(
    private readonly keys: { idTokenSigner(): Promise<IdTokenSigner>; publicIdTokenJwks(): Promise<JwkSet> },
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
    if (input.amr && input.amr.length > 0) claims.amr = input.amr;
    if (input.acr) claims.acr = input.acr;
    if (input.sid) claims.sid = input.sid;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" })
      .sign(signer.key);
  }

  /**
   * A logout token (Back-Channel Logout 1.0 §2.4): signed like ID tokens,
   * typed `logout+jwt` so it can never pass for one, short-lived, with the
   * back-channel logout event and never a nonce.
   */
  async signLogoutToken(input: {
    audience: string;
    subject: string;
    sid?: string;
    jti: string;
  }): Promise<string> {
    const signer = await this.keys.idTokenSigner();
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      aud: input.audience,
      iat: now,
      exp: now + LOGOUT_TOKEN_LIFESPAN_S,
      jti: input.jti,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sub: input.subject,
    };
    if (input.sid) claims.sid = input.sid;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "logout+jwt" })
      .sign(signer.key);
  }

  /**
   * Reads an ID token this issuer signed, as `id_token_hint` (OpenID Connect
   * Core §3.1.2.1, RP-Initiated Logout 1.0 §2): the signature must verify
   * with a published ID-token key and `iss` must be ours; expiry does not
   * matter, because a hint only names whom the client believes signed in.
   * The same key signs logout tokens, which are no ID tokens (Back-Channel
   * Logout 1.0 §2.4): a token typed other than `JWT` (ours are), or with a
   * logout token's `events`, is refused.
   * Undefined for anything else.
   */
  async readHint(token: string): Promise<IdTokenHint | undefined> {
    if (token.length > 8192) return undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (!header.alg || !ID_TOKEN_SIGNING_ALGS.includes(header.alg)) return undefined;
      if (header.typ !== undefined && !/^(application\/)?jwt$/i.test(header.typ)) return undefined;
      const keys = createLocalJWKSet(
        (await this.keys.publicIdTokenJwks()) as Parameters<typeof createLocalJWKSet>[0],
      );
      const { payload } = await compactVerify(token, keys, { algorithms: ID_TOKEN_SIGNING_ALGS });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      if (claims.iss !== this.issuer || typeof claims.sub !== "string" || claims.sub === "") return undefined;
      if (claims.events !== undefined) return undefined;
      const audience = typeof claims.aud === "string" ? [claims.aud] : claims.aud;
      if (!Array.isArray(audience) || !audience.every((aud) => typeof aud === "string")) return undefined;
      return {
        subject: claims.sub,
        audience: audience as string[],
        ...(typeof claims.sid === "string" && claims.sid ? { sid: claims.sid } : {}),
      };
    } catch {
      return undefined;
    }
  }
}
