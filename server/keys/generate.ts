import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, generateSecret } from "jose";
import { type Jwk, jsonWebKey } from "./schemas.ts";

/**
 * The algorithms `POST /keys/{set}` generates for. ES521 is Hydra's name for
 * ECDSA on P-521; JWA calls that ES512, which is what the keys carry.
 */
export const GENERATED_ALGORITHMS = ["RS256", "ES256", "ES512", "ES521", "HS256", "HS512"] as const;

export type GeneratedAlgorithm = (typeof GENERATED_ALGORITHMS)[number];

export function isGeneratedAlgorithm(alg: string): alg is GeneratedAlgorithm {
  return (GENERATED_ALGORITHMS as readonly string[]).includes(alg);
}

/** The kids of a generated pair, as Hydra named them: `private:<kid>`/`public:<kid>`, bare when kid is empty. */
function pairKids(kid: string): { privateKid: string; publicKid: string } {
  return kid === ""
    ? { privateKid: "private", publicKid: "public" }
    : { privateKid: `private:${kid}`, publicKid: `public:${kid}` };
}

/**
 * Generates fresh keys for `alg`: the private and the public JWK of a pair, or
 * one `oct` secret (32 bytes for HS256, 64 for HS512, RFC 7518 §3.2's
 * minimum). An empty kid names a pair `private`/`public` and a secret with a
 * random UUID. RSA keys are 2048 bits: RFC 7518's floor, and what Hydra made.
 */
export async function generateKeys(alg: GeneratedAlgorithm, kid: string): Promise<Jwk[]> {
  if (alg === "HS256" || alg === "HS512") {
    const secret = await generateSecret(alg, { extractable: true });
    const jwk = await exportJWK(secret);
    return [jsonWebKey.parse({ ...jwk, kid: kid || randomUUID(), alg, use: "sig" })];
  }
  const jwaAlg = alg === "ES521" ? "ES512" : alg;
  const { privateKey, publicKey } = await generateKeyPair(jwaAlg, {
    extractable: true,
    ...(jwaAlg === "RS256" ? { modulusLength: 2048 } : {}),
  });
  const { privateKid, publicKid } = pairKids(kid);
  const [privateJwk, publicJwk] = await Promise.all([exportJWK(privateKey), exportJWK(publicKey)]);
  return [
    jsonWebKey.parse({ ...privateJwk, kid: privateKid, alg: jwaAlg, use: "sig" }),
    jsonWebKey.parse({ ...publicJwk, kid: publicKid, alg: jwaAlg, use: "sig" }),
  ];
}
