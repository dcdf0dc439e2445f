import { importJWK } from "jose";
import type { Logger } from "@/common/log.ts";
import type { Database } from "@/db/client.ts";
import { isUniqueViolation } from "@/db/errors.ts";
import type { JsonWebKey as Row } from "@/generated/prisma/sqlite/client.ts";
import { ApiError } from "@/server/http/errors.ts";
import { decrypt, encrypt } from "@/server/tokens/secrets.ts";
import { GENERATED_ALGORITHMS, generateKeys, isGeneratedAlgorithm } from "./generate.ts";
import {
  generatedPairKid,
  ID_TOKEN_KEY_ALG,
  ID_TOKEN_KEY_SET,
  type IdTokenKeys,
  idTokenKeys,
  type SigningKey,
  type StoredKey,
} from "./id-token-keys.ts";
import { checkJsonWebKey, isSecretKey, type Jwk, type JwkSet, keyMaterial } from "./schemas.ts";

export { ID_TOKEN_KEY_SET };

/**
 * How long the served JWK set and the signer may lag a write another process
 * made (a rotation, a deletion): the same for both, so that no process signs
 * with a key that the others have stopped publishing. One read of the set
 * per process every few seconds is nothing beside the tokens it signs.
 */
const KEY_SET_TTL_MS = 5_000;

/** What signs ID tokens. `kid` is the published key's, so relying parties find it in the JWK set. */
export interface IdTokenSigner {
  kid: string;
  alg: string;
  key: CryptoKey;
}

/**
 * JSON Web Key sets. Private and symmetric keys are stored AES-256-GCM
 * encrypted, public keys as JSON. Every write validates its keys first and is
 * one transaction. Errors a caller can cause are ApiErrors (400, 409).
 *
 * The ID-token set is read as one snapshot that serves both the signer and
 * the published keys. This process's writes to it take effect at once;
 * another process's within KEY_SET_TTL_MS, for the published keys and the
 * signer alike.
 */
export class KeyStore {
  /** The ID-token set as last read, and the write count of this process it was read at. */
  private idTokenState?: { keys: IdTokenKeys; at: number; version: number };
  private idTokenRead?: { keys: Promise<IdTokenKeys>; version: number };
  /** Writes this process made to the ID-token set. */
  private version = 0;
  private signer?: { from: SigningKey; material: string; signer: IdTokenSigner };

  constructor(
    private readonly db: Database,
    private readonly encryptionKey: Buffer,
    private readonly log: Logger,
    /** Derived from SYSTEM_SECRET_PREVIOUS: only ever decrypted with, never encrypted with. */
    private readonly previousEncryptionKeys: readonly Buffer[] = [],
  ) {}

  /**
   * For the bootstrap, when SYSTEM_SECRET_PREVIOUS is set: every stored key
   * that only a previous secret decrypts is encrypted again under the current
   * one, all in one transaction (a row another process changed meanwhile is
   * left to it). Keys no secret decrypts are left as they are, and logged.
   */
  async reencryptWithCurrentSecret(): Promise<void> {
    if (this.previousEncryptionKeys.length === 0) return;
    const rows = await this.db.jsonWebKey.findMany({ where: { encrypted: true } });
    const updates: { row: Row; material: string }[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      if (this.decryptsWith(this.encryptionKey, row.material) !== undefined) continue;
      const json = this.decryptWithPrevious(row.material);
      if (json === undefined) unreadable.push(`${row.set}/${row.kid}`);
      else updates.push({ row, material: encrypt(this.encryptionKey, json) });
    }
    if (updates.length > 0) {
      await this.db.$transaction(
        updates.map(({ row, material }) =>
          this.db.jsonWebKey.updateMany({
            where: { set: row.set, kid: row.kid, material: row.material },
            data: { material },
          }),
        ),
      );
      for (const { row } of updates) this.changed(row.set);
      this.log.info("re-encrypted stored keys under the current SYSTEM_SECRET", {
        keys: updates.map(({ row }) => `${row.set}/${row.kid}`),
      });
    }
    if (unreadable.length > 0) {
      this.log.error("stored keys that neither SYSTEM_SECRET nor SYSTEM_SECRET_PREVIOUS decrypts", {
        keys: unreadable,
      });
    }
  }

  private decryptsWith(key: Buffer, material: string): string | undefined {
    try {
      return decrypt(key, material);
    } catch {
      return undefined;
    }
  }

  private decryptWithPrevious(material: string): string | undefined {
    for (const key of this.previousEncryptionKeys) {
      const json = this.decryptsWith(key, material);
      if (json !== undefined) return json;
    }
    return undefined;
  }

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
    return rows.map((row) => this.fromRow(row) ?? this.unreadable(row));
  }

  async getKey(set: string, kid: string): Promise<Jwk | null> {
    const row = await this.db.jsonWebKey.findUnique({ where: { set_kid: { set, kid } } });
    return row ? (this.fromRow(row) ?? this.unreadable(row)) : null;
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
   * For the bootstrap: makes the ID-token set hold a key that signs, as
   * `idTokenSigner` would on first use. A key that cannot be decrypted is
   * logged, not thrown: the server still starts, and the set can be
   * repaired through the API.
   */
  async ensureIdTokenKeys(): Promise<void> {
    const { problem } = await this.idTokenKeys(0);
    if (problem) this.log.error(problem);
  }

  /**
   * The key that signs ID tokens: the newest RS256 private key of the
   * ID-token set (see id-token-keys.ts), generated when the set has none,
   * imported once per process. `kid` is its published public half's.
   */
  async idTokenSigner(): Promise<IdTokenSigner> {
    const { signing, problem } = await this.idTokenKeys(KEY_SET_TTL_MS);
    if (problem) throw new Error(problem);
    if (!signing) throw new Error(`The ID-token key set ${ID_TOKEN_KEY_SET} holds no key that can sign`);
    const cached = this.signer;
    if (cached?.from === signing) return cached.signer;
    const material = `${signing.kid} ${JSON.stringify(signing.jwk)}`;
    if (cached?.material === material) {
      cached.from = signing;
      return cached.signer;
    }
    const key = await importJWK(keyMaterial(signing.jwk), ID_TOKEN_KEY_ALG);
    if (key instanceof Uint8Array || key.type !== "private") {
      throw new Error(
        `The ID-token signing key ${ID_TOKEN_KEY_SET}/${signing.privateKid} is not a private key`,
      );
    }
    const signer: IdTokenSigner = { kid: signing.kid, alg: ID_TOKEN_KEY_ALG, key };
    this.signer = { from: signing, material, signer };
    return signer;
  }

  /** The public keys of the ID-token set, as `/.well-known/jwks.json` serves them; the signing key's first. */
  async publicIdTokenJwks(): Promise<JwkSet> {
    return (await this.idTokenKeys(KEY_SET_TTL_MS)).published;
  }

  /**
   * The ID-token set as read at most `maxAgeMs` ago. Concurrent callers
   * share one read; a read that a write of this process overtook is used by
   * the callers that were waiting for it, never kept.
   */
  private idTokenKeys(maxAgeMs: number): Promise<IdTokenKeys> {
    const kept = this.idTokenState;
    if (kept && kept.version === this.version && Date.now() - kept.at < maxAgeMs) {
      return Promise.resolve(kept.keys);
    }
    const pending = this.idTokenRead;
    if (pending && pending.version === this.version) return pending.keys;
    const read = { keys: this.readIdTokenKeys(), version: this.version };
    const at = Date.now();
    this.idTokenRead = read;
    return read.keys.then(
      (keys) => {
        if (this.idTokenRead === read) this.idTokenRead = undefined;
        if (this.version === read.version) this.idTokenState = { keys, at, version: read.version };
        return keys;
      },
      (error: unknown) => {
        if (this.idTokenRead === read) this.idTokenRead = undefined;
        throw error;
      },
    );
  }

  /**
   * Reads the ID-token set, and generates a signing pair when it holds no
   * key that can sign (deleted, emptied, or left with public keys or keys of
   * other algorithms only), as Hydra 2.x does on demand. Processes and
   * instances that find it missing at once pick the same kids, so the
   * database's unique (set, kid) lets one insert win and the others read its keys.
   */
  private async readIdTokenKeys(): Promise<IdTokenKeys> {
    for (let attempt = 1; ; attempt++) {
      const rows = await this.db.jsonWebKey.findMany({
        where: { set: ID_TOKEN_KEY_SET },
        orderBy: [{ createdAt: "asc" }, { kid: "asc" }],
      });
      const keys = idTokenKeys(rows.map((row) => this.storedKey(row)));
      if (keys.signing || keys.problem || attempt === 3) return keys;
      await this.generateSigningPair(rows.map((row) => row.kid));
    }
  }

  private async generateSigningPair(taken: string[]): Promise<void> {
    const pair = await generateKeys(ID_TOKEN_KEY_ALG, generatedPairKid(taken));
    try {
      await this.db.$transaction(
        pair.map((key) => this.db.jsonWebKey.create({ data: this.toRow(ID_TOKEN_KEY_SET, key) })),
      );
    } catch (error) {
      // Another process generated the pair first (or a write took a kid): the next read finds it.
      if (isUniqueViolation(error)) return;
      throw error;
    }
    this.log.warn("the ID-token key set held no key that can sign: generated one", {
      set: ID_TOKEN_KEY_SET,
      kids: pair.map((key) => key.kid),
      alg: ID_TOKEN_KEY_ALG,
    });
  }

  /** A key fromRow cannot read is kept without its JWK: idTokenKeys makes it the set's `problem` if it would sign. */
  private storedKey(row: Row): StoredKey {
    return { kid: row.kid, secret: row.encrypted, jwk: this.fromRow(row), createdAt: row.createdAt };
  }

  /** After a write of this process: the next read of the ID-token set goes to the database. */
  private changed(set: string): void {
    if (set !== ID_TOKEN_KEY_SET) return;
    this.version++;
    this.idTokenState = undefined;
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

  /**
   * For an API's answer holding a key fromRow cannot read: it is the
   * operator's to repair (set the secret it was written under in
   * SYSTEM_SECRET_PREVIOUS, or delete the key): a 500 that says so, and one
   * log line without a stack.
   */
  private unreadable(row: Row): never {
    const key = `${row.set}/${row.kid}`;
    this.log.error("a stored key cannot be decrypted with SYSTEM_SECRET or SYSTEM_SECRET_PREVIOUS", {
      key,
    });
    throw new ApiError(
      500,
      `The key ${key} cannot be decrypted with the configured SYSTEM_SECRET: was it changed? Set the secret it was stored under in SYSTEM_SECRET_PREVIOUS, or delete the key`,
    );
  }

  /**
   * The key a row holds; undefined when no configured secret decrypts it (or, edited by hand in
   * the database, its text is no JSON).
   */
  private fromRow(row: Row): Jwk | undefined {
    // A previous secret is tried only when the current one fails: a key another instance, not yet
    // restarted with the new secret, wrote during a rotation (the next start re-encrypts it).
    const json = row.encrypted
      ? (this.decryptsWith(this.encryptionKey, row.material) ?? this.decryptWithPrevious(row.material))
      : row.material;
    if (json === undefined) return undefined;
    try {
      return JSON.parse(json) as Jwk;
    } catch {
      return undefined;
    }
  }
}
