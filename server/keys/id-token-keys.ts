import type { Jwk, JwkSet } from "./schemas.ts";

/** The set whose newest private RS256 key signs ID tokens and whose public keys `/.well-known/jwks.json` serves. */
export const ID_TOKEN_KEY_SET = "hydra.openid.id-token";

/** What ID tokens are signed with: discovery promises it. */
export const ID_TOKEN_KEY_ALG = "RS256";

/** One stored key of the ID-token set, decrypted when it can be. */
export interface StoredKey {
  kid: string;
  /** Stored encrypted: a private key or a secret. */
  secret: boolean;
  /** Undefined when the key cannot be decrypted (SYSTEM_SECRET changed). */
  jwk: Jwk | undefined;
  createdAt: Date;
}

/** The private key that signs, and the kid of its published public half, which its tokens carry. */
export interface SigningKey {
  privateKid: string;
  kid: string;
  jwk: Jwk;
}

export interface IdTokenKeys {
  /** Undefined when the set holds no RS256 private key for signatures, or `problem` says why none may sign. */
  signing?: SigningKey;
  /** Why nothing may sign although the set holds a signing key (it cannot be decrypted). */
  problem?: string;
  /** The public keys relying parties verify with: the signing key's first, then the others, oldest first. */
  published: JwkSet;
}

const PUBLIC_MEMBERS: Record<string, readonly (keyof Jwk)[]> = {
  RSA: ["n", "e"],
  EC: ["crv", "x", "y"],
  OKP: ["crv", "x"],
};
const DESCRIPTIVE_MEMBERS = ["alg", "use", "x5u", "x5c", "x5t", "x5t#S256"] as const;

/** The public half of an asymmetric key (RFC 7518 §6: the members that are not private), under `kid`. */
function publicHalf(jwk: Jwk, kid: string): Jwk | undefined {
  const members = PUBLIC_MEMBERS[jwk.kty];
  if (!members) return undefined;
  const half: Record<string, unknown> = { kty: jwk.kty, kid };
  for (const member of [...members, ...DESCRIPTIVE_MEMBERS]) {
    if (jwk[member] !== undefined) half[member] = jwk[member];
  }
  return half as Jwk;
}

function sameKey(a: Jwk, b: Jwk): boolean {
  const members = PUBLIC_MEMBERS[a.kty];
  return a.kty === b.kty && members !== undefined && members.every((member) => a[member] === b[member]);
}

/** The kid the 2017 API's pairs give the public half: `private` → `public`, `private:<x>` → `public:<x>`. */
function twinKid(kid: string): string | undefined {
  if (kid === "private") return "public";
  return kid.startsWith("private:") ? `public:${kid.slice("private:".length)}` : undefined;
}

/**
 * Under which kid a private key's public half is published: its twin's
 * (`public` for `private`) unless the set holds a different key there, else
 * its own kid, as Hydra 2.x publishes the keys it generates.
 */
function publishedKid(kid: string, jwk: Jwk, publicKeys: Map<string, Jwk>): string {
  const twin = twinKid(kid);
  if (twin === undefined) return kid;
  const stored = publicKeys.get(twin);
  return stored === undefined || sameKey(stored, jwk) ? twin : kid;
}

/** A private key that can sign ID tokens: RSA, for RS256 (or no alg), not reserved for encryption. */
function signsIdTokens(jwk: Jwk): boolean {
  return (
    jwk.kty === "RSA" &&
    jwk.d !== undefined &&
    (jwk.alg === undefined || jwk.alg === ID_TOKEN_KEY_ALG) &&
    jwk.use !== "enc"
  );
}

/**
 * What the ID-token set means, as Hydra 2.x reads it: the newest private key
 * signs (a key added to the set is a rotation; ties go by kid), and every
 * public key — stored, or the public half of a private key — is published,
 * so tokens signed before a rotation still verify. Keys that cannot sign ID
 * tokens (secrets, other algorithms) are left out of the choice; a newest
 * key that cannot be decrypted is a `problem`, never skipped: signing with an
 * older key would hide a changed SYSTEM_SECRET. `keys` come oldest first.
 */
export function idTokenKeys(keys: StoredKey[]): IdTokenKeys {
  const publicKeys = new Map<string, Jwk>();
  for (const key of keys) if (!key.secret && key.jwk) publicKeys.set(key.kid, key.jwk);

  const published: Jwk[] = [];
  for (const key of keys) {
    if (!key.secret) {
      if (key.jwk) published.push(key.jwk);
      continue;
    }
    if (!key.jwk) continue;
    const kid = publishedKid(key.kid, key.jwk, publicKeys);
    const half = publicKeys.has(kid) ? undefined : publicHalf(key.jwk, kid);
    if (half) published.push(half);
  }

  const newest = keys
    .filter((key) => key.secret && (key.jwk === undefined || signsIdTokens(key.jwk)))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.kid < b.kid ? -1 : 1))[0];
  if (!newest) return { published: { keys: published } };
  if (!newest.jwk) {
    return {
      problem: `The ID-token signing key ${ID_TOKEN_KEY_SET}/${newest.kid} cannot be decrypted: was SYSTEM_SECRET changed?`,
      published: { keys: published },
    };
  }
  const signing = {
    privateKid: newest.kid,
    kid: publishedKid(newest.kid, newest.jwk, publicKeys),
    jwk: newest.jwk,
  };
  const first = published.findIndex((key) => key.kid === signing.kid);
  if (first > 0) published.unshift(...published.splice(first, 1));
  return { signing, published: { keys: published } };
}

/**
 * The kid to generate a missing signing pair under (see generateKeys): ""
 * for `private`/`public`, the contract's names, unless the set already holds
 * one of them; then the first free `private:<n>`/`public:<n>`, n ≥ 2. Every
 * process that sees the same set picks the same kid, so when two generate at
 * once the set's unique kids let one insert win.
 */
export function generatedPairKid(taken: Iterable<string>): string {
  const kids = new Set(taken);
  const free = (kid: string) =>
    !kids.has(kid === "" ? "private" : `private:${kid}`) &&
    !kids.has(kid === "" ? "public" : `public:${kid}`);
  if (free("")) return "";
  let n = 2;
  while (!free(String(n))) n++;
  return String(n);
}
