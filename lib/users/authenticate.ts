import "server-only";
import { db } from "@/lib/db/index.ts";
import { log } from "@/lib/log/index.ts";
import { type ScopedVerdict, ThrottleStore, throttleKeys } from "@/lib/security/throttle.ts";
import { users } from "./index.ts";
import { needsRehash, verifyPassword } from "./passwords.ts";
import type { User } from "./store.ts";

export type SignInOutcome =
  /**
   * `passwordHash`: the hash the password was checked against. A session started on this sign-in is
   * stored only while it is still the account's (SessionStore): a password changed meanwhile wins.
   */
  | { ok: true; user: User; passwordHash: string }
  /** `throttle` says whether the next attempt must now wait, or the key is locked. */
  | { ok: false; code: "invalid_credentials"; throttle: ScopedVerdict }
  | { ok: false; code: "throttled"; throttle: Exclude<ScopedVerdict, { allowed: true }> };

let throttles: ThrottleStore | undefined;
let warnedUnknownAddress = false;

/**
 * Checks an email and password, throttled per account, per account and
 * client address, and per client address. The attempt is counted before the
 * password is checked (atomically with the throttle check, so concurrent
 * guesses cannot slip through together) and handed back when it was right.
 * The same work is done whether or not the account exists: a throttled key
 * is refused before any password check, an unknown email is checked against
 * a dummy hash, and failures count against the email either way.
 */
export async function authenticate(
  email: string,
  password: string,
  address: string | undefined,
): Promise<SignInOutcome> {
  throttles ??= new ThrottleStore(db());
  if (!address && !warnedUnknownAddress) {
    warnedUnknownAddress = true;
    log().warn(
      "the client address is unknown (not served through server/main.ts?): throttling by account only",
    );
  }
  const keys = throttleKeys(email, address);
  const reserved = await throttles.reserve(keys);
  if (!reserved.allowed) return { ok: false, code: "throttled", throttle: reserved };

  const found = await users().findCredentials(email);
  const valid = await verifyPassword(found?.passwordHash, password);
  if (!found || !valid) {
    return { ok: false, code: "invalid_credentials", throttle: await throttles.check(keys) };
  }
  // The account's keys start over; the address's count gets this attempt back.
  await throttles.clear(keys.filter((key) => key.scope !== "address"));
  await throttles.release(keys.filter((key) => key.scope === "address"));
  const { passwordHash: checked, ...user } = found;
  // A hash of earlier parameters (a lower cost) is made again now, while the password is at hand.
  const passwordHash = needsRehash(checked)
    ? await users().rehashPassword(user.id, checked, password)
    : checked;
  return { ok: true, user, passwordHash };
}
