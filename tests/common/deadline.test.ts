import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { withDeadline } from "@/common/deadline.ts";

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;

describe("withDeadline", () => {
  test("a call that outlives the limit is aborted with a TimeoutError", async () => {
    const hung = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    await assert.rejects(withDeadline(20, hung), { name: "TimeoutError" });
  });

  test("the timer stops when the call settles, answer or failure (it would keep the caller's context alive)", async () => {
    const before = timers();
    assert.equal(await withDeadline(60_000, async () => "answer"), "answer");
    await assert.rejects(
      withDeadline(60_000, async () => {
        throw new Error("refused");
      }),
      /refused/,
    );
    assert.equal(timers(), before);
  });
});
