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
const MAIL_CLIENT_POLICY: ThrottlePolicy = {
  freeFailures: 10,
  baseDelayMs: 10_000,
  maxDelayMs: 15 * MINUTE,
  lockAfter: 50,
  lockMs: 60 * MINUTE,
  forgetAfterMs: 60 * MINUTE,
};

type MailThrottleVerdict = { allowed: true } | { allowed: false; retryAt: Date };

/**
 * The inbox an address reaches, for its count: a subaddress (`ann+anything@example.com`, RFC 5233,
 * which most mail services deliver to `ann@example.com`) counts as its mailbox. Counted apart, each
 * tag got three free messages, so anyone could fill one inbox by varying the tag.
 */
export function inboxOf(recipient: string): string {
  const at = recipient.lastIndexOf("@");
  const plus = recipient.indexOf("+");
  return plus > 0 && plus < at ? `${recipient.slice(0, plus)}${recipient.slice(at)}` : recipient;
}

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
      { key: `mail:to:${inboxOf(recipient)}`, scope: "account" as const, policy: MAIL_RECIPIENT_POLICY },
      ...(client
        ? [{ key: `mail:from:${client}`, scope: "address" as const, policy: MAIL_CLIENT_POLICY }]
        : []),
    ];
    const verdict = await this.store.reserve(keys, now);
    return verdict.allowed ? { allowed: true } : { allowed: false, retryAt: verdict.retryAt };
  }
}
