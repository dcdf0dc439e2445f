import { type Database, rawQueries } from "@/db/client.ts";
import { changesOneRow, type Param, type Write } from "@/db/raw.ts";
import type { LoginThrottle } from "@/generated/prisma/sqlite/client.ts";
import { LOGIN_THROTTLE_ROW } from "@/lib/db/rows.ts";
import { deleteInBatches, PURGE_BATCH } from "@/lib/housekeeping/batches.ts";

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

/**
 * Attempts to reserve while concurrent attempts change the rows in between, before giving up (and
 * refusing, rather than letting an attempt through).
 */
const RESERVE_TRIES = 8;

function worstVerdict(keys: ThrottleKey[], rows: LoginThrottle[], now: Date): ScopedVerdict {
  let worst: ScopedVerdict = { allowed: true };
  for (const { key, scope, policy } of keys) {
    const result = verdict(policy, rows.find((row) => row.key === key) ?? null, now);
    if (result.allowed) continue;
    if (worst.allowed || result.retryAt > worst.retryAt) worst = { ...result, scope };
  }
  return worst;
}

/**
 * The write that counts one more failure against a key: it creates the row,
 * or updates it only if it still holds what was read. Refused ("contended")
 * when another attempt created or changed the row in between.
 */
function countFailure(key: string, read: LoginThrottle | null, next: ThrottleState): Write<"contended"> {
  const state: Param[] = [next.failures, next.lastFailedAt, next.lockedUntil];
  if (!read) {
    return changesOneRow(
      `INSERT INTO "login_throttles" ("failures", "lastFailedAt", "lockedUntil", "key") VALUES ($1, $2, $3, $4)
        ON CONFLICT ("key") DO NOTHING`,
      [...state, key],
      "contended",
    );
  }
  const values: Param[] = [...state, key, read.failures];
  let unchanged = `"key" = $4 AND "failures" = $5`;
  for (const column of ["lastFailedAt", "lockedUntil"] as const) {
    const was = read[column];
    if (was === null) {
      unchanged += ` AND "${column}" IS NULL`;
    } else {
      values.push(was);
      unchanged += ` AND "${column}" = $${values.length}`;
    }
  }
  return changesOneRow(
    `UPDATE "login_throttles" SET "failures" = $1, "lastFailedAt" = $2, "lockedUntil" = $3 WHERE ${unchanged}`,
    values,
    "contended",
  );
}

/** `"key" IN ($1, …)` for the keys. */
function keyList(keys: ThrottleKey[]): string {
  return `"key" IN (${keys.map((_, i) => `$${i + 1}`).join(", ")})`;
}

/**
 * Throttle state per key in the LoginThrottle table. Every sign-in reads and
 * writes it, so through prepared statements (db/raw.ts) rather than Prisma.
 */
export class ThrottleStore {
  constructor(private readonly db: Database) {}

  /** The rows of the keys that have one. */
  private async rows(keys: ThrottleKey[]): Promise<LoginThrottle[]> {
    const raw = rawQueries(this.db);
    const rows = await Promise.all(keys.map(({ key }) => raw.rowByKey(LOGIN_THROTTLE_ROW, key)));
    return rows.filter((row) => row !== null);
  }

  /** The most restrictive verdict among the keys. */
  async check(keys: ThrottleKey[], now = new Date()): Promise<ScopedVerdict> {
    return worstVerdict(keys, await this.rows(keys), now);
  }

  /**
   * Checks the keys and, when none holds the attempt back, counts it as a
   * failure against every key — all in one transaction, each row written
   * only if nobody changed it since it was read (else read again). So of
   * many concurrent attempts, only as many go ahead as the policies allow.
   */
  async reserve(keys: ThrottleKey[], now = new Date()): Promise<ScopedVerdict> {
    for (let attempt = 1; ; attempt++) {
      const rows = await this.rows(keys);
      const worst = worstVerdict(keys, rows, now);
      if (!worst.allowed) return worst;
      const writes = keys.map(({ key, policy }) => {
        const read = rows.find((row) => row.key === key) ?? null;
        return countFailure(key, read, afterFailure(policy, read, now));
      });
      // A refusal ("contended": another attempt changed a row since it was read) is tried again. An
      // error is not: on SQLite a busy error comes only after the write lock stayed with another
      // process for the whole busy timeout (db/raw-sqlite.ts waits for it), which is no contention
      // between sign-ins (each holds it for one commit) but a database that cannot be written — the
      // caller answers "temporarily unavailable" (db/unavailable.ts), not "too many attempts" after
      // RESERVE_TRIES busy timeouts.
      if ((await rawQueries(this.db).transaction(writes)) === undefined) return { allowed: true };
      if (attempt >= RESERVE_TRIES) {
        // Never let an attempt through unchecked: under that much contention, ask for a moment.
        const scope = keys[0]?.scope ?? "account";
        return { allowed: false, reason: "delay", retryAt: new Date(now.getTime() + 1000), scope };
      }
    }
  }

  /** Hands back a reserved attempt whose password was right: it was no failure. */
  async release(keys: ThrottleKey[]): Promise<void> {
    if (keys.length === 0) return;
    await rawQueries(this.db).transaction([
      {
        sql: `UPDATE "login_throttles" SET "failures" = "failures" - 1 WHERE ${keyList(keys)} AND "failures" > 0`,
        values: keys.map(({ key }) => key),
      },
    ]);
  }

  /** Ends the count of the keys (a right password ends the guessing against the account). */
  async clear(keys: ThrottleKey[]): Promise<void> {
    if (keys.length === 0) return;
    await rawQueries(this.db).transaction([
      { sql: `DELETE FROM "login_throttles" WHERE ${keyList(keys)}`, values: keys.map(({ key }) => key) },
    ]);
  }

  /**
   * Deletes rows that no longer hold anything back: no lock in force and no
   * failure recent enough to count (the longest forget time of any policy).
   * Housekeeping; returns how many.
   */
  async purgeStale(now = new Date(), batch = PURGE_BATCH): Promise<number> {
    const forgetBefore = new Date(now.getTime() - Math.max(...POLICIES.map((p) => p.forgetAfterMs)));
    const stale = {
      AND: [
        { OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }] },
        { OR: [{ lastFailedAt: null }, { lastFailedAt: { lt: forgetBefore } }] },
      ],
    };
    // No index serves the condition: a walk by key reads each row once per purge, however many batches.
    return deleteInBatches<string>(
      async (take, after) =>
        (
          await this.db.loginThrottle.findMany({
            where: after === undefined ? stale : { ...stale, key: { gt: after } },
            select: { key: true },
            orderBy: { key: "asc" },
            take,
          })
        ).map((row) => row.key),
      async (keys) =>
        (await this.db.loginThrottle.deleteMany({ where: { key: { in: keys }, ...stale } })).count,
      batch,
    );
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
