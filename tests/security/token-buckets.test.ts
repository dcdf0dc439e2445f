import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TokenBuckets } from "@/server/http/rate-limit.ts";

// The in-process token buckets behind the per-client and per-address limits: a key spends its
// burst, earns tokens back over time, and the buckets are bounded by a number of keys.
describe("token buckets", () => {
  test("a key spends its burst, is refused with a retry delay, and earns tokens back", () => {
    const buckets = new TokenBuckets(2, 1);
    assert.deepEqual(buckets.take("a", 0), { ok: true });
    assert.deepEqual(buckets.take("a", 0), { ok: true });
    assert.deepEqual(buckets.take("a", 0), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(buckets.peek("b", 0), { ok: true }, "another key has its own bucket");
    assert.deepEqual(buckets.take("a", 1000), { ok: true });
  });

  test("beyond the bound, the least recently used key is forgotten (and starts again full)", () => {
    const buckets = new TokenBuckets(1, 0.001, 2);
    assert.deepEqual(buckets.take("a", 0), { ok: true });
    assert.deepEqual(buckets.take("b", 0), { ok: true });
    assert.equal(buckets.take("a", 0).ok, false, "a is empty and remembered (now the most recent)");
    assert.deepEqual(buckets.take("c", 0), { ok: true });
    assert.deepEqual(buckets.take("b", 0), { ok: true }, "b was the least recently used: forgotten");
    assert.equal(buckets.take("c", 0).ok, false, "c is still remembered");
  });
});
