import { type Algorithm, hash, verify } from "@node-rs/argon2";

/**
 * Argon2id at OWASP's recommended minimum: 19 MiB, two passes, one lane; a random salt per hash.
 * Raise them here: a hash made with other parameters is made again with these at the person's
 * next sign-in (needsRehash), so an unknown email — checked against a dummy hash of these — takes
 * no longer than a known one for long.
 */
const ARGON2ID = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/**
 * The longest password a sign-in form accepts: new passwords are at most 128
 * characters, but this is short enough that hashing it is never a denial of
 * service and long enough for any password an operator set before that rule.
 */
export const PASSWORD_MAX_LENGTH = 1024;

/**
 * One password however the keyboard composed it, normalised with NFKC as
 * NIST SP 800-63B §5.1.1.2 asks: "é" typed as one code point or as "e" and a
 * combining accent (as some keyboards and systems send it), and a full-width
 * "Ａ" (an input method's) or "A", hash alike. The new-password rules judge
 * this form too (password-policy.ts).
 */
function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}

export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), ARGON2ID);
}

/**
 * Whether a stored hash was made with other parameters than ARGON2ID's (an earlier cost, another
 * variant): the sign-in that proves the password then stores a new hash (UserStore.rehashPassword).
 */
export function needsRehash(passwordHash: string): boolean {
  const parts = /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(passwordHash);
  if (!parts) return true;
  const [, variant, version, memory, time, lanes] = parts;
  return (
    variant !== "argon2id" ||
    Number(version) !== 19 ||
    Number(memory) !== ARGON2ID.memoryCost ||
    Number(time) !== ARGON2ID.timeCost ||
    Number(lanes) !== ARGON2ID.parallelism
  );
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a user's hash. Without a user it checks against
 * a dummy hash with the same parameters and answers false, so an unknown
 * email costs as much time as a wrong password. The password is checked in
 * its normalised form, then (when that differs) as typed: a hash made before
 * passwords were normalised was made from the password as typed.
 */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  const normalized = normalizePassword(password);
  const forms = normalized === password ? [password] : [normalized, password];
  if (passwordHash === undefined) {
    dummyHash ??= hashPassword("portico: no such user");
    for (const form of forms) await verify(await dummyHash, form).catch(() => false);
    return false;
  }
  for (const form of forms) {
    if (await verify(passwordHash, form).catch(() => false)) return true;
  }
  return false;
}
