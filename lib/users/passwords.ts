import { type Algorithm, hash, verify } from "@node-rs/argon2";

/** Argon2id at OWASP's recommended minimum: 19 MiB, two passes, one lane; a random salt per hash. */
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

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2ID);
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a user's hash. Without a user it checks against
 * a dummy hash with the same parameters and answers false, so an unknown
 * email costs as much time as a wrong password.
 */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (passwordHash === undefined) {
    dummyHash ??= hashPassword("portico: no such user");
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
