import type { Database } from "@/db/client.ts";
import { type ThrottlePolicy, ThrottleStore } from "@/lib/security/throttle.ts";

const MINUTE = 60_000;

/**
 * Mail that anyone can make Portico send (sign-up, "Forgot password?", a
 * resend, a new address) is throttled like failed sign-ins, with every
 * request counting: per recipient address, whether or not it has an account,
 * so the answers reveal nothing and nobody can flood an inbox…
 */
export const MAIL_RECIPIENT_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: MINUTE,
  maxDelayMs: 15 * MINUTE,
  lockAfter: 10,
  lockMs: 60 * MINUTE,
  forgetAfterMs: 60 * MINUTE,
};

/** …and, looser because many people can share one, per client address. */
export const MAIL_CLIENT_POLICY: ThrottlePolicy = {
  freeFailures: 10,
  baseDelayMs: 10_000,
  maxDelayMs: 15 * MINUTE,
  lockAfter: 50,
  lockMs: 60 * MINUTE,
  forgetAfterMs: 60 * MINUTE,
};

export type MailThrottleVerdict = { allowed: true } | { allowed: false; retryAt: Date };

export class MailThrottle {
  private readonly store: ThrottleStore;

  constructor(db: Database) {
    this.store = new ThrottleStore(db);
  }

  /** Counts one request to mail `recipient` from `client`, unless one of them must wait. */
  async attempt(
    recipient: string,
    client: string | undefined,
    now = new Date(),
  ): Promise<MailThrottleVerdict> {
    const keys = [
      { key: `mail:to:${recipient}`, scope: "account" as const, policy: MAIL_RECIPIENT_POLICY },
      ...(client
        ? [{ key: `mail:from:${client}`, scope: "address" as const, policy: MAIL_CLIENT_POLICY }]
        : []),
    ];
    const verdict = await this.store.reserve(keys, now);
    return verdict.allowed ? { allowed: true } : { allowed: false, retryAt: verdict.retryAt };
  }
}
