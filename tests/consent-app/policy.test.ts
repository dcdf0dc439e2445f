import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { coveredBy, describeScope, scopesToGrant } from "@/lib/consent/scopes.ts";
import {
  ACCOUNT_POLICY,
  ADDRESS_POLICY,
  afterFailure,
  delayAfter,
  PAIR_POLICY,
  type ThrottleState,
  verdict,
} from "@/lib/security/throttle.ts";
import { idTokenClaims } from "@/lib/users/claims.ts";
import { emailAddress, normalizeEmail } from "@/lib/users/email.ts";

const T0 = new Date("2026-01-01T12:00:00Z");
const later = (ms: number) => new Date(T0.getTime() + ms);

function failTimes(n: number, policy = PAIR_POLICY, at = T0): ThrottleState | null {
  let state: ThrottleState | null = null;
  for (let i = 0; i < n; i++) state = afterFailure(policy, state, at);
  return state;
}

describe("sign-in throttling policy", () => {
  test("the first failures are free, then delays double, capped", () => {
    const delays = Array.from({ length: 9 }, (_, i) => delayAfter(PAIR_POLICY, i + 1));
    assert.deepEqual(delays, [0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000]);
  });

  test("after the free failures an attempt must wait until the delay has passed", () => {
    const state = failTimes(PAIR_POLICY.freeFailures);
    assert.deepEqual(verdict(PAIR_POLICY, failTimes(PAIR_POLICY.freeFailures - 1), T0), {
      allowed: true,
    });
    assert.deepEqual(verdict(PAIR_POLICY, state, later(999)), {
      allowed: false,
      reason: "delay",
      retryAt: later(1000),
    });
    assert.deepEqual(verdict(PAIR_POLICY, state, later(1000)), { allowed: true });
  });

  test("the failure that reaches the limit locks the pair for the lock time, then the count starts over", () => {
    const locked = failTimes(PAIR_POLICY.lockAfter);
    assert.deepEqual(locked, { failures: 0, lastFailedAt: T0, lockedUntil: later(PAIR_POLICY.lockMs) });
    assert.deepEqual(verdict(PAIR_POLICY, locked, later(PAIR_POLICY.lockMs - 1)), {
      allowed: false,
      reason: "lock",
      retryAt: later(PAIR_POLICY.lockMs),
    });
    assert.deepEqual(verdict(PAIR_POLICY, locked, later(PAIR_POLICY.lockMs)), { allowed: true });
    assert.equal(afterFailure(PAIR_POLICY, locked, later(PAIR_POLICY.lockMs)).failures, 1);
  });

  test("an account alone is never locked, only slowed down (anyone can fail for any email)", () => {
    const many = failTimes(500, ACCOUNT_POLICY);
    assert.equal(many?.lockedUntil, null);
    assert.equal(many?.failures, 500);
    assert.deepEqual(verdict(ACCOUNT_POLICY, many, later(ACCOUNT_POLICY.maxDelayMs - 1)), {
      allowed: false,
      reason: "delay",
      retryAt: later(ACCOUNT_POLICY.maxDelayMs),
    });
    assert.deepEqual(verdict(ACCOUNT_POLICY, many, later(ACCOUNT_POLICY.maxDelayMs)), { allowed: true });
  });

  test("a quiet period forgets earlier failures", () => {
    const state = failTimes(PAIR_POLICY.lockAfter - 1);
    const quiet = later(PAIR_POLICY.forgetAfterMs + 1);
    assert.deepEqual(verdict(PAIR_POLICY, state, quiet), { allowed: true });
    assert.equal(afterFailure(PAIR_POLICY, state, quiet).failures, 1);
  });

  test("a client address tolerates more failures than one account from it", () => {
    assert.ok(ADDRESS_POLICY.freeFailures > PAIR_POLICY.freeFailures);
    assert.ok(ADDRESS_POLICY.lockAfter > PAIR_POLICY.lockAfter);
    assert.deepEqual(verdict(ADDRESS_POLICY, failTimes(PAIR_POLICY.lockAfter, ADDRESS_POLICY), T0), {
      allowed: false,
      reason: "delay",
      retryAt: later(1000),
    });
  });
});

describe("scopes on the consent screen", () => {
  test("granted scopes are the ticked ones among those requested, in the requested order", () => {
    const requested = ["openid", "offline", "profile", "email"];
    assert.deepEqual(scopesToGrant(requested, ["email", "openid", "admin"]), ["openid", "email"]);
    assert.deepEqual(scopesToGrant(requested, []), []);
  });

  test("a remembered decision covers a request only when every requested scope was granted", () => {
    assert.ok(coveredBy(["openid", "email"], ["openid", "email", "profile"]));
    assert.ok(coveredBy([], []));
    assert.ok(!coveredBy(["openid", "offline"], ["openid"]));
  });

  test("known scopes get plain words; unknown ones, even tricky names, are shown by name", () => {
    assert.equal(describeScope("email").title, "Your email address");
    for (const scope of ["photos.read", "__proto__", "constructor", "toString"]) {
      assert.deepEqual(describeScope(scope), { scope, title: scope, description: "" });
    }
  });
});

describe("users", () => {
  test("emails are normalised: trimmed, lower-cased, NFC", () => {
    assert.equal(normalizeEmail("  Ann@Example.COM "), "ann@example.com");
    assert.equal(normalizeEmail("Zoe\u0301@example.com"), "zo\u00e9@example.com");
    assert.equal(emailAddress.parse(" Ann@Example.com"), "ann@example.com");
    assert.ok(!emailAddress.safeParse("not an email").success);
    assert.ok(!emailAddress.safeParse(`${"a".repeat(250)}@example.com`).success);
  });

  test("ID-token claims follow the granted scopes; profile alone never reveals the email", () => {
    const updatedAt = later(90_000);
    const user = {
      id: "u1",
      email: "ann@example.com",
      name: "Ann",
      emailVerifiedAt: null,
      createdAt: T0,
      updatedAt,
    };
    const updated_at = Math.floor(updatedAt.getTime() / 1000);
    assert.deepEqual(idTokenClaims(user, ["openid"]), {});
    assert.deepEqual(idTokenClaims(user, ["openid", "profile"]), { name: "Ann", updated_at });
    assert.deepEqual(idTokenClaims(user, ["email"]), { email: "ann@example.com", email_verified: false });
    assert.deepEqual(idTokenClaims(user, ["profile", "email"]), {
      name: "Ann",
      preferred_username: "ann@example.com",
      updated_at,
      email: "ann@example.com",
      email_verified: false,
    });
    assert.deepEqual(idTokenClaims({ ...user, name: "" }, ["profile"]), { updated_at });
    assert.deepEqual(idTokenClaims({ ...user, emailVerifiedAt: T0 }, ["email"]), {
      email: "ann@example.com",
      email_verified: true,
    });
  });
});
