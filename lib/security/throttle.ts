import type { Database } from "@/db/client.ts";

/**
 * Sign-in throttling. Every failed sign-in counts against two keys: the
 * account (by normalised email, whether or not such an account exists, so
 * the answers never reveal which emails have accounts) and the client
 * address. A few failures are free; after that each further attempt must
 * wait a delay that doubles with every failure; at `lockAfter` failures the
 * key is locked for `lockMs`. A quiet `forgetAfterMs` since the last failure
 * starts the count over. Throttled attempts are refused before any password
 * is checked and do not count.
 */
export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  lockAfter: number;
  lockMs: number;
  forgetAfterMs: number;
}

const MINUTE = 60_000;

export const ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  lockAfter: 10,
  lockMs: 15 * MINUTE,
  forgetAfterMs: 15 * MINUTE,
};

/** Looser: many people can share one address (offices, carrier NAT). */
export const ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 10,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  lockAfter: 50,
  lockMs: 15 * MINUTE,
  forgetAfterMs: 60 * MINUTE,
};

const POLICIES = [ACCOUNT_POLICY, ADDRESS_POLICY];

export interface ThrottleState {
  failures: number;
  lastFailedAt: Date | null;
  lockedUntil: Date | null;
}

type ThrottleVerdict = { allowed: true } | { allowed: false; reason: "delay" | "lock"; retryAt: Date };

/** What is throttled: one account (by email) or one client address. */
type ThrottleScope = "account" | "address";

export type ScopedVerdict =
  | { allowed: true }
  | (Extract<ThrottleVerdict, { allowed: false }> & { scope: ThrottleScope });

/** Whether an attempt may go ahead now, given the key's failures so far. */
export function verdict(policy: ThrottlePolicy, state: ThrottleState | null, now: Date): ThrottleVerdict {
  if (!state) return { allowed: true };
  if (state.lockedUntil && state.lockedUntil > now) {
    return { allowed: false, reason: "lock", retryAt: state.lockedUntil };
  }
  const failures = effectiveFailures(policy, state, now);
  if (failures < policy.freeFailures || !state.lastFailedAt) return { allowed: true };
  const retryAt = new Date(state.lastFailedAt.getTime() + delayAfter(policy, failures));
  return retryAt > now ? { allowed: false, reason: "delay", retryAt } : { allowed: true };
}

/** The key's state after one more failure at `now`. */
export function afterFailure(policy: ThrottlePolicy, state: ThrottleState | null, now: Date): ThrottleState {
  const failures = (state ? effectiveFailures(policy, state, now) : 0) + 1;
  const locks = failures >= policy.lockAfter;
  return {
    // A lock serves the whole penalty; afterwards the count starts over.
    failures: locks ? 0 : failures,
    lastFailedAt: now,
    lockedUntil: locks ? new Date(now.getTime() + policy.lockMs) : null,
  };
}

/** The wait after the n-th failure: nothing for the free ones, then 1×, 2×, 4×… the base, capped. */
export function delayAfter(policy: ThrottlePolicy, failures: number): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = Math.min(failures - policy.freeFailures, 30);
  return Math.min(policy.baseDelayMs * 2 ** doublings, policy.maxDelayMs);
}

function effectiveFailures(policy: ThrottlePolicy, state: ThrottleState, now: Date): number {
  if (!state.lastFailedAt) return 0;
  return now.getTime() - state.lastFailedAt.getTime() > policy.forgetAfterMs ? 0 : state.failures;
}

interface ThrottleKey {
  key: string;
  scope: ThrottleScope;
  policy: ThrottlePolicy;
}

/** Throttle state per key in the LoginThrottle table. */
export class ThrottleStore {
  constructor(private readonly db: Database) {}

  /** The most restrictive verdict among the keys. */
  async check(keys: ThrottleKey[], now = new Date()): Promise<ScopedVerdict> {
    const rows = await this.db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
    let worst: ScopedVerdict = { allowed: true };
    for (const { key, scope, policy } of keys) {
      const result = verdict(policy, rows.find((row) => row.key === key) ?? null, now);
      if (result.allowed) continue;
      if (worst.allowed || result.retryAt > worst.retryAt) worst = { ...result, scope };
    }
    return worst;
  }

  async recordFailure(keys: ThrottleKey[], now = new Date()): Promise<void> {
    for (const { key, policy } of keys) {
      await this.db.$transaction(async (tx) => {
        const row = await tx.loginThrottle.findUnique({ where: { key } });
        const next = afterFailure(policy, row, now);
        await tx.loginThrottle.upsert({ where: { key }, create: { key, ...next }, update: next });
      });
    }
  }

  async clear(key: string): Promise<void> {
    await this.db.loginThrottle.deleteMany({ where: { key } });
  }

  /**
   * Deletes rows that no longer hold anything back: no lock in force and no
   * failure recent enough to count (the longest forget time of any policy).
   * Housekeeping; returns how many.
   */
  async purgeStale(now = new Date()): Promise<number> {
    const forgetBefore = new Date(now.getTime() - Math.max(...POLICIES.map((p) => p.forgetAfterMs)));
    const { count } = await this.db.loginThrottle.deleteMany({
      where: {
        AND: [
          { OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }] },
          { OR: [{ lastFailedAt: null }, { lastFailedAt: { lt: forgetBefore } }] },
        ],
      },
    });
    return count;
  }
}

/** The keys one sign-in attempt counts against: the account, and the client address when known. */
export function throttleKeys(email: string, address: string | undefined): ThrottleKey[] {
  return [
    { key: `account:${email}`, scope: "account", policy: ACCOUNT_POLICY },
    ...(address ? [{ key: `address:${address}`, scope: "address" as const, policy: ADDRESS_POLICY }] : []),
  ];
}
