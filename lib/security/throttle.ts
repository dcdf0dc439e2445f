import type { Database } from "@/db/client.ts";
import { isUniqueViolation } from "@/db/errors.ts";

/**
 * Sign-in throttling. Every sign-in attempt counts against three keys: the
 * account (by normalised email, whether or not such an account exists, so
 * the answers never reveal which emails have accounts) from anywhere, the
 * account from this client address, and the client address. A few failures
 * are free; after that each further attempt must wait a delay that doubles
 * with every failure; at `lockAfter` failures the key is locked for
 * `lockMs`. A quiet `forgetAfterMs` since the last failure starts the count
 * over. Throttled attempts are refused before any password is checked and
 * do not count.
 *
 * The account alone only ever slows down: anyone can send wrong passwords
 * for any email, so a lock on it would lock its owner out. The lock is per
 * (account, address), where the guessing comes from.
 *
 * An attempt is counted (reserved) before its password is checked, in one
 * transaction with the check, and handed back when the password was right:
 * concurrent attempts cannot all pass the check before any of them counts.
 */
export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Infinity: never locks, only slows down. */
  lockAfter: number;
  lockMs: number;
  forgetAfterMs: number;
}

const MINUTE = 60_000;

/** One email from anywhere: growing delays, never a lock. */
export const ACCOUNT_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  lockAfter: Number.POSITIVE_INFINITY,
  lockMs: 0,
  forgetAfterMs: 15 * MINUTE,
};

/** One email from one client address: delays, then a lock of that pair only. */
export const PAIR_POLICY: ThrottlePolicy = {
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

const POLICIES = [ACCOUNT_POLICY, PAIR_POLICY, ADDRESS_POLICY];

export interface ThrottleState {
  failures: number;
  lastFailedAt: Date | null;
  lockedUntil: Date | null;
}

type ThrottleVerdict = { allowed: true } | { allowed: false; reason: "delay" | "lock"; retryAt: Date };

/** What is throttled: one account (by email), one account from one client address, or one address. */
export type ThrottleScope = "account" | "pair" | "address";

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

/** Another attempt changed a key between our read and our write: read again. */
class Contended extends Error {}

/** Attempts to reserve before giving up (and refusing, rather than letting an attempt through). */
const RESERVE_TRIES = 8;

function worstVerdict(
  keys: ThrottleKey[],
  rows: Array<ThrottleState & { key: string }>,
  now: Date,
): ScopedVerdict {
  let worst: ScopedVerdict = { allowed: true };
  for (const { key, scope, policy } of keys) {
    const result = verdict(policy, rows.find((row) => row.key === key) ?? null, now);
    if (result.allowed) continue;
    if (worst.allowed || result.retryAt > worst.retryAt) worst = { ...result, scope };
  }
  return worst;
}

/** Throttle state per key in the LoginThrottle table. */
export class ThrottleStore {
  constructor(private readonly db: Database) {}

  /** The most restrictive verdict among the keys. */
  async check(keys: ThrottleKey[], now = new Date()): Promise<ScopedVerdict> {
    const rows = await this.db.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
    return worstVerdict(keys, rows, now);
  }

  /**
   * Checks the keys and, when none holds the attempt back, counts it as a
   * failure against every key — all in one transaction, each row written
   * only if nobody changed it since it was read (else read again). So of
   * many concurrent attempts, only as many go ahead as the policies allow.
   */
  async reserve(keys: ThrottleKey[], now = new Date()): Promise<ScopedVerdict> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.$transaction(async (tx) => {
          const rows = await tx.loginThrottle.findMany({ where: { key: { in: keys.map((k) => k.key) } } });
          const worst = worstVerdict(keys, rows, now);
          if (!worst.allowed) return worst;
          for (const { key, policy } of keys) {
            const row = rows.find((found) => found.key === key);
            const next = afterFailure(policy, row ?? null, now);
            if (!row) {
              await tx.loginThrottle.create({ data: { key, ...next } });
              continue;
            }
            const { count } = await tx.loginThrottle.updateMany({
              where: {
                key,
                failures: row.failures,
                lastFailedAt: row.lastFailedAt,
                lockedUntil: row.lockedUntil,
              },
              data: next,
            });
            if (count === 0) throw new Contended();
          }
          return { allowed: true } as const;
        });
      } catch (error) {
        const retry = error instanceof Contended || isUniqueViolation(error) || isBusy(error);
        if (!retry) throw error;
        if (attempt >= RESERVE_TRIES) {
          // Never let an attempt through unchecked: under that much contention, ask for a moment.
          const scope = keys[0]?.scope ?? "account";
          return { allowed: false, reason: "delay", retryAt: new Date(now.getTime() + 1000), scope };
        }
      }
    }
  }

  /** Hands back a reserved attempt whose password was right: it was no failure. */
  async release(keys: ThrottleKey[]): Promise<void> {
    await this.db.loginThrottle.updateMany({
      where: { key: { in: keys.map((k) => k.key) }, failures: { gt: 0 } },
      data: { failures: { decrement: 1 } },
    });
  }

  /** Ends the count of the keys (a right password ends the guessing against the account). */
  async clear(keys: ThrottleKey[]): Promise<void> {
    await this.db.loginThrottle.deleteMany({ where: { key: { in: keys.map((k) => k.key) } } });
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

/**
 * The keys one sign-in attempt counts against: the account from anywhere,
 * and — when the client address is known — the account from that address
 * and the address itself.
 */
export function throttleKeys(email: string, address: string | undefined): ThrottleKey[] {
  return [
    { key: `account:${email}`, scope: "account", policy: ACCOUNT_POLICY },
    ...(address
      ? [
          { key: `pair:${address} ${email}`, scope: "pair" as const, policy: PAIR_POLICY },
          { key: `address:${address}`, scope: "address" as const, policy: ADDRESS_POLICY },
        ]
      : []),
  ];
}

/** SQLite's "database is locked" from another process's writer: try again. */
/**
 * SQLite's write lock was held by another process. better-sqlite3 says
 * SQLITE_BUSY; through Prisma's adapter the same refusal arrives as a
 * driver-adapter error of kind "SocketTimeout" — also when SQLite refuses at
 * once, as it does to a transaction that read first and then wants to write
 * while another connection writes (waiting could deadlock).
 */
function isBusy(error: unknown): boolean {
  const e = error as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
    cause?: { kind?: unknown };
  } | null;
  if (typeof e?.code === "string" && e.code.startsWith("SQLITE_BUSY")) return true;
  const kind = e?.meta?.driverAdapterError?.cause?.kind ?? e?.cause?.kind;
  return kind === "SocketTimeout" || /SocketTimeout|database is locked/.test(String(error));
}
