import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { createLogger, describeError } from "@/common/log.ts";

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const lines = () =>
    text
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe("the logger", () => {
  test("writes one JSON line per event with its level, message and fields", () => {
    const { stream, lines } = capture();
    createLogger("info", "consent", stream).info("consent given", { client: "my-app" });
    const [line] = lines();
    assert.equal(line?.level, "info");
    assert.equal(line?.msg, "consent given");
    assert.equal(line?.client, "my-app");
    assert.equal(line?.component, "consent");
    assert.equal(typeof line?.time, "string");
  });

  test("leaves out what is below its level", () => {
    const { stream, lines } = capture();
    const log = createLogger("warn", undefined, stream);
    log.info("hidden");
    log.debug("hidden");
    log.warn("shown");
    assert.deepEqual(
      lines().map((line) => line.msg),
      ["shown"],
    );
  });

  test("replaces secrets that reach it by mistake, at the top level and one level down", () => {
    const { stream, lines } = capture();
    createLogger("info", undefined, stream).warn("oops", {
      client_secret: "s3cret-1",
      password: "s3cret-2",
      headers: { authorization: "Bearer s3cret-3", cookie: "a=s3cret-4" },
      body: { refresh_token: "s3cret-5", consent_verifier: "s3cret-6" },
      client: "kept",
    });
    const [line] = lines();
    assert.equal(line?.client, "kept");
    assert.equal(line?.client_secret, "[redacted]");
    assert.deepEqual(line?.headers, { authorization: "[redacted]", cookie: "[redacted]" });
    assert.doesNotMatch(JSON.stringify(lines()), /s3cret/);
  });

  test("keeps the kind, message and stack trace of an unexpected error", () => {
    const { stream, lines } = capture();
    function failingDeepInside(): never {
      throw new TypeError("cannot read x of undefined");
    }
    try {
      failingDeepInside();
    } catch (error) {
      createLogger("info", undefined, stream).error("request failed", {
        path: "/clients",
        ...describeError(error),
      });
    }
    const err = lines()[0]?.err as { type: string; message: string; stack: string };
    assert.equal(err.type, "TypeError");
    assert.equal(err.message, "cannot read x of undefined");
    assert.match(err.stack, /failingDeepInside/);
  });
});
