import type { LRUCache } from "lru-cache";
import { boundedCache } from "@/common/bounded-cache.ts";

type Taken = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Token buckets by key (a client address, a client id), kept in this
 * process: each key may spend `burst` at once and earns `perSecond` back.
 * Bounded: the least recently used keys are forgotten first, which only ever
 * errs towards letting a request through.
 */
export class TokenBuckets {
  private readonly buckets: LRUCache<string, { tokens: number; at: number }>;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    max = 50_000,
  ) {
    this.buckets = boundedCache(max);
  }

  private refilled(key: string, now: number): { tokens: number; at: number } {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.burst, at: now };
    const earned = ((now - bucket.at) / 1000) * this.perSecond;
    return { tokens: Math.min(this.burst, bucket.tokens + earned), at: now };
  }

  /** Whether the key has a token left now, without spending it. */
  peek(key: string, now = Date.now()): Taken {
    const bucket = this.refilled(key, now);
    if (bucket.tokens >= 1) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }

  /** Spends one token of the key, or says how long until one is back. */
  take(key: string, now = Date.now()): Taken {
    const bucket = this.refilled(key, now);
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
    }
    this.buckets.set(key, { tokens: bucket.tokens - 1, at: now });
    return { ok: true };
  }

  /** Returns a token `take` spent (the work it held a place for turned out to cost nothing). */
  giveBack(key: string, now = Date.now()): void {
    const bucket = this.refilled(key, now);
    this.buckets.set(key, { tokens: Math.min(this.burst, bucket.tokens + 1), at: now });
  }
}
