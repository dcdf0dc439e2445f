import { importJWK } from "jose";
import { z } from "zod";
import { ApiError } from "@/server/http/errors.ts";

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Printable characters only: a kid travels in URL paths and policy resource names. */
const KID = /^[\x20-\x7E]*$/;

const base64url = (member: string) =>
  z.string().max(8192).regex(BASE64URL, `${member} must be base64url without padding`);

const kid = z.string().max(255).regex(KID, "kid may hold only printable ASCII characters");

/**
 * The jsonWebKey model (RFC 7517 members; swagger `jsonWebKey`). Unknown
 * members are dropped. Whether the members make a usable key is checked by
 * `checkJsonWebKey`, which needs the crypto library and so is async.
 */
export const jsonWebKey = z.object({
  kty: z.enum(["RSA", "EC", "oct", "OKP"], { error: "kty must be one of RSA, EC, oct, OKP" }),
  kid: kid.min(1, "kid must not be empty").optional(),
  use: z.string().min(1).max(64).optional(),
  key_ops: z.array(z.string().min(1).max(64)).max(16).optional(),
  alg: z.string().min(1).max(64).optional(),
  crv: z.string().min(1).max(32).optional(),
  x: base64url("x").optional(),
  y: base64url("y").optional(),
  n: base64url("n").optional(),
  e: base64url("e").optional(),
  k: base64url("k").optional(),
  d: base64url("d").optional(),
  p: base64url("p").optional(),
  q: base64url("q").optional(),
  dp: base64url("dp").optional(),
  dq: base64url("dq").optional(),
  qi: base64url("qi").optional(),
  x5u: z.url().max(2048).optional(),
  x5c: z.array(z.string().max(16384).regex(BASE64, "x5c holds base64 DER certificates")).max(16).optional(),
  x5t: base64url("x5t").optional(),
  "x5t#S256": base64url("x5t#S256").optional(),
});

export type Jwk = z.output<typeof jsonWebKey>;

/** The jsonWebKeySet model: the body of `PUT /keys/{set}` and every set the API answers. */
export const jsonWebKeySet = z.object({
  keys: z.array(jsonWebKey).max(100),
});

export type JwkSet = { keys: Jwk[] };

/** createJsonWebKeySetPayload. The swagger requires kid; an absent one reads as "" (Hydra's zero value). */
export const createJsonWebKeySetPayload = z.object({
  alg: z.string().max(16),
  kid: kid.default(""),
});

/** Private and symmetric keys: the ones encrypted at rest and never published. */
export function isSecretKey(jwk: Jwk): boolean {
  return jwk.kty === "oct" || jwk.d !== undefined;
}

/**
 * The key material alone, for importing: WebCrypto refuses a JWK whose
 * `use`/`key_ops` disagree with the usages jose asks for, which says nothing
 * about whether the key itself is valid.
 */
export function keyMaterial(jwk: Jwk) {
  const { kty, crv, x, y, n, e, k, d, p, q, dp, dq, qi } = jwk;
  return { kty, crv, x, y, n, e, k, d, p, q, dp, dq, qi };
}

const PRIVATE_RSA_MEMBERS = ["p", "q", "dp", "dq", "qi"] as const;
const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };
/** JWA's public-key algorithms (RFC 7518 §3.1, §4.1; RFC 8037), none of which an oct key can serve. */
const ASYMMETRIC_ALG = /^(?:RS|PS|ES)\d+$|^EdDSA$|^Ed(?:25519|448)$|^RSA|^ECDH-ES/;
const CURVE_ALG: Record<string, string> = {
  "P-256": "ES256",
  "P-384": "ES384",
  "P-521": "ES512",
  Ed25519: "EdDSA",
  Ed448: "EdDSA",
  X25519: "ECDH-ES",
  X448: "ECDH-ES",
};

/** An algorithm the key can be imported for, to test it when the JWK names none. */
function importAlg(jwk: Jwk): string | undefined {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === "RSA") return "RS256";
  return jwk.crv ? CURVE_ALG[jwk.crv] : undefined;
}

function modulusBytes(n: string): number {
  const bytes = Buffer.from(n, "base64url");
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  return bytes.length - first;
}

/**
 * Refuses (400) a key that jose cannot import for its algorithm (bad
 * encoding, wrong curve, mismatched members), an RSA modulus under 2048 bits,
 * an HMAC secret shorter than its hash (RFC 7518 §3.2), and a kid whose
 * `private`/`public` prefix contradicts the key: the public-JWKs policy lets
 * anyone read `…:public`, so a secret stored under such a kid would leak.
 */
export async function checkJsonWebKey(jwk: Jwk): Promise<void> {
  const fail = (why: string) => ApiError.badRequest(`${jwk.kid ? `Key ${jwk.kid}` : "The key"}: ${why}`);

  if (jwk.kty === "oct") {
    if (!jwk.k) throw fail("an oct key needs k");
    // jose checks the algorithm of RSA, EC and OKP keys on import; a secret naming a public-key
    // algorithm is never used for it and would be taken for what it is not.
    if (jwk.alg && ASYMMETRIC_ALG.test(jwk.alg)) throw fail(`${jwk.alg} is not an algorithm for an oct key`);
    const min = HMAC_MIN_BYTES[jwk.alg ?? ""] ?? 1;
    if (Buffer.from(jwk.k, "base64url").length < min)
      throw fail(`${jwk.alg} needs a secret of ${min} bytes or more`);
  } else {
    if (jwk.d === undefined && PRIVATE_RSA_MEMBERS.some((member) => jwk[member] !== undefined)) {
      throw fail("private members without d");
    }
    if (jwk.kty === "RSA" && jwk.n && modulusBytes(jwk.n) < 256)
      throw fail("an RSA modulus needs 2048 bits or more");
    const alg = importAlg(jwk);
    if (!alg) throw fail(`crv ${jwk.crv ?? "(missing)"} is not supported for kty ${jwk.kty}`);
    try {
      await importJWK(keyMaterial(jwk), alg, { extractable: true });
    } catch {
      throw fail(`not a valid ${jwk.kty} key${jwk.crv ? ` on ${jwk.crv}` : ""} for ${alg}`);
    }
  }

  if (jwk.kid?.startsWith("public") && isSecretKey(jwk)) {
    throw fail("a kid starting with public names a public key, but this key holds secret material");
  }
  if (jwk.kid?.startsWith("private") && !isSecretKey(jwk)) {
    throw fail("a kid starting with private names a private key, but this key holds no private material");
  }
}
