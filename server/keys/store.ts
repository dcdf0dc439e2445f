import { importJWK } from "jose";
import type { Database } from "@/db/client.ts";
import { isUniqueViolation } from "@/db/errors.ts";
import type { JsonWebKey as Row } from "@/generated/prisma/sqlite/client.ts";
import { ApiError } from "@/server/http/errors.ts";
import { decrypt, encrypt } from "@/server/tokens/secrets.ts";
import {
  GENERATED_ALGORITHMS,
  type GeneratedAlgorithm,
  generateKeys,
  isGeneratedAlgorithm,
} from "./generate.ts";
import { checkJsonWebKey, isSecretKey, type Jwk, type JwkSet, keyMaterial } from "./schemas.ts";

/** The set whose `private` key signs ID tokens and whose public keys `/.well-known/jwks.json` serves. */
export const ID_TOKEN_KEY_SET = "hydra.openid.id-token";

/** How long a served JWK set may lag a deletion made by another process. */
const PUBLIC_JWKS_TTL_MS = 5_000;
/** How often the signer checks whether another process replaced the private key. */
const SIGNER_RECHECK_MS = 60_000;

/** What signs ID tokens. `kid` is the published key's, so relying parties find it in the JWK set. */
export interface IdTokenSigner {
  kid: "public";
  alg: string;
  key: CryptoKey;
}

/**
 * JSON Web Key sets. Private and symmetric keys are stored AES-256-GCM
 * encrypted, public keys as JSON. Every write validates its keys first and is
 * one transaction. Errors a caller can cause are ApiErrors (400, 409).
 *
 * Caches: this process's writes to the ID-token set take effect at once;
 * another process's within PUBLIC_JWKS_TTL_MS (published keys) and
 * SIGNER_RECHECK_MS (the signing key).
 */
export class KeyStore {
  private publicJwks?: { set: JwkSet; at: number };
  private signer?: { material: string; signer: IdTokenSigner; at: number };

  constructor(
    private readonly db: Database,
    private readonly encryptionKey: Buffer,
  ) {}

  /**
   * Generates keys for `alg` (see generate.ts for the kids) and adds them to
   * the set, creating it if needed. 400 for an unknown alg, 409 when a kid
   * is taken.
   */
  async generate(set: string, alg: string, kid: string): Promise<Jwk[]> {
    if (!isGeneratedAlgorithm(alg)) {
      throw ApiError.badRequest(`alg must be one of ${GENERATED_ALGORITHMS.join(", ")}`);
    }
    const keys = await generateKeys(alg, kid);
    await this.insert(set, keys);
    return keys;
  }

  /**
   * Adds keys to the set (creating it), all or none: each checked to be a
   * valid JWK; 409 when a kid is taken.
   */
  async insert(set: string, keys: Jwk[]): Promise<void> {
    for (const key of keys) await checkJsonWebKey(key);
    try {
      await this.db.$transaction(
        keys.map((key) => this.db.jsonWebKey.create({ data: this.toRow(set, key) })),
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw ApiError.conflict(
          `The set ${set} already holds a key ${keys.map((key) => key.kid).join(" or ")}`,
        );
      }
      throw error;
    }
    this.changed(set);
  }

  /** Every key of the set, oldest first; empty when the set does not exist. */
  async getSet(set: string): Promise<Jwk[]> {
    const rows = await this.db.jsonWebKey.findMany({
      where: { set },
      orderBy: [{ createdAt: "asc" }, { kid: "asc" }],
    });
    return rows.map((row) => this.fromRow(row));
  }

  async getKey(set: string, kid: string): Promise<Jwk | null> {
    const row = await this.db.jsonWebKey.findUnique({ where: { set_kid: { set, kid } } });
    return row ? this.fromRow(row) : null;
  }

  /** Replaces the whole set with `keys` (at least one, each with a distinct kid). */
  async replaceSet(set: string, keys: Jwk[]): Promise<Jwk[]> {
    if (keys.length === 0)
      throw ApiError.badRequest("keys must hold at least one key (DELETE removes a set)");
    const kids = new Set<string>();
    for (const key of keys) {
      if (!key.kid) throw ApiError.badRequest("Every key of a set needs a kid");
      if (kids.has(key.kid)) throw ApiError.badRequest(`The kid ${key.kid} appears twice`);
      kids.add(key.kid);
      await checkJsonWebKey(key);
    }
    await this.db.$transaction([
      this.db.jsonWebKey.deleteMany({ where: { set } }),
      ...keys.map((key) => this.db.jsonWebKey.create({ data: this.toRow(set, key) })),
    ]);
    this.changed(set);
    return keys;
  }

  /** Creates or replaces one key (its kid names it), creating the set if needed. */
  async putKey(set: string, key: Jwk & { kid: string }): Promise<Jwk> {
    await checkJsonWebKey(key);
    const data = this.toRow(set, key);
    await this.db.jsonWebKey.upsert({
      where: { set_kid: { set, kid: key.kid } },
      create: data,
      update: { encrypted: data.encrypted, material: data.material },
    });
    this.changed(set);
    return key;
  }

  /** Answers whether the set existed. */
  async deleteSet(set: string): Promise<boolean> {
    const { count } = await this.db.jsonWebKey.deleteMany({ where: { set } });
    this.changed(set);
    return count > 0;
  }

  /** Answers whether the key existed. */
  async deleteKey(set: string, kid: string): Promise<boolean> {
    const { count } = await this.db.jsonWebKey.deleteMany({ where: { set, kid } });
    this.changed(set);
    return count > 0;
  }

  /**
   * For the bootstrap: gives an empty set a `private`/`public` pair. Safe
   * when several processes start at once: whoever loses the race finds the
   * winner's keys. Answers whether it created them.
   */
  async ensureKeyPair(set: string, alg: GeneratedAlgorithm): Promise<boolean> {
    if ((await this.db.jsonWebKey.count({ where: { set } })) > 0) return false;
    try {
      await this.generate(set, alg, "");
      return true;
    } catch (error) {
      if ((await this.db.jsonWebKey.count({ where: { set } })) > 0) return false;
      throw error;
    }
  }

  /** The key that signs ID tokens: `private` of the ID-token set, imported once per process. */
  async idTokenSigner(): Promise<IdTokenSigner> {
    const cached = this.signer;
    if (cached && Date.now() - cached.at < SIGNER_RECHECK_MS) return cached.signer;
    const row = await this.db.jsonWebKey.findUnique({
      where: { set_kid: { set: ID_TOKEN_KEY_SET, kid: "private" } },
    });
    if (!row) throw new Error(`The ID-token signing key ${ID_TOKEN_KEY_SET}/private does not exist`);
    if (cached && cached.material === row.material) {
      cached.at = Date.now();
      return cached.signer;
    }
    const jwk = this.fromRow(row);
    const alg = jwk.alg ?? "RS256";
    const key = await importJWK(keyMaterial(jwk), alg);
    if (key instanceof Uint8Array || key.type !== "private") {
      throw new Error(`The ID-token signing key ${ID_TOKEN_KEY_SET}/private is not a private key`);
    }
    const signer: IdTokenSigner = { kid: "public", alg, key };
    this.signer = { material: row.material, signer, at: Date.now() };
    return signer;
  }

  /** The public keys of the ID-token set, as `/.well-known/jwks.json` serves them. */
  async publicIdTokenJwks(): Promise<JwkSet> {
    const cached = this.publicJwks;
    if (cached && Date.now() - cached.at < PUBLIC_JWKS_TTL_MS) return cached.set;
    const rows = await this.db.jsonWebKey.findMany({
      where: { set: ID_TOKEN_KEY_SET, encrypted: false },
      orderBy: [{ createdAt: "asc" }, { kid: "asc" }],
    });
    const set = { keys: rows.map((row) => this.fromRow(row)) };
    this.publicJwks = { set, at: Date.now() };
    return set;
  }

  private changed(set: string): void {
    if (set !== ID_TOKEN_KEY_SET) return;
    this.publicJwks = undefined;
    this.signer = undefined;
  }

  private toRow(set: string, jwk: Jwk): Omit<Row, "createdAt"> {
    const json = JSON.stringify(jwk);
    const secret = isSecretKey(jwk);
    return {
      set,
      kid: jwk.kid as string,
      encrypted: secret,
      material: secret ? encrypt(this.encryptionKey, json) : json,
    };
  }

  private fromRow(row: Row): Jwk {
    if (!row.encrypted) return JSON.parse(row.material) as Jwk;
    try {
      return JSON.parse(decrypt(this.encryptionKey, row.material)) as Jwk;
    } catch {
      throw new Error(`Cannot decrypt key ${row.set}/${row.kid}: was SYSTEM_SECRET changed?`);
    }
  }
}
