import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/** A 32-byte key for one purpose, derived from SYSTEM_SECRET with HKDF-SHA256. */
export function deriveKey(systemSecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", systemSecret, "portico", purpose, 32));
}

/**
 * A random, URL-safe token (base64url: only `A–Z a–z 0–9 - _`, so it reads
 * the same raw or form-urlencoded). 32 bytes give 256 bits of entropy.
 */
export function randomToken(bytes = 32): string {
  return takeRandom(bytes).toString("base64url");
}

/** Random bytes are drawn 4 KiB at a time (one CSPRNG call) and each byte handed out once. */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function takeRandom(bytes: number): Buffer {
  if (bytes > POOL_SIZE / 4) return randomBytes(bytes);
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return slice;
}

/** The keyed hash under which a token is stored: a database leak yields no usable token. */
export function hashToken(key: Buffer, token: string): string {
  return createHmac("sha256", key).update(token).digest("base64url");
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
export function encrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), data]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export function decrypt(key: Buffer, sealed: string): string {
  const [version, iv, tag, data] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("unrecognised ciphertext");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}
