/**
 * What Next.js itself reports (a page or server action that failed, a
 * request it refused) reaches the log as JSON lines like every other line of
 * both halves, with the error's stack and digest as fields: never Next.js's
 * plain, multi-line console text. A report about a form post Next.js could
 * not decode (the request's fault, a 400) is a warning without a stack.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BACKENDS, type Portico, startPortico } from "@/tests/support/server.ts";

describe("Next.js's own error reports are JSON log lines", () => {
  let portico: Portico;

  before(async () => {
    portico = await startPortico({ compiled: true });
  });
  after(() => portico.stop());

  test("a server action body Next.js cannot decode: one JSON warning with the reason, no stack, no console text", async () => {
    const page = await fetch(`${portico.url}/login`);
    const html = await page.text();
    const id = /&quot;id&quot;:&quot;([0-9a-f]{20,})&quot;/.exec(html)?.[1];
    assert.ok(id, "the sign-in form's action id");
    const cookie = page.headers
      .getSetCookie()
      .map((set) => set.split(";")[0])
      .join("; ");
    const form = new FormData();
    form.set("0", '["$Q9"]');
    const refused = await fetch(`${portico.url}/login`, {
      method: "POST",
      headers: { "next-action": id, cookie },
      body: form,
    });
    assert.equal(refused.status, 400);
    await refused.arrayBuffer();

    let reported: Record<string, unknown> | undefined;
    for (let tries = 0; !reported && tries < 50; tries++) {
      const line = portico
        .output()
        .split("\n")
        .find((text) => text.includes("Invalid forward reference"));
      if (line) reported = JSON.parse(line) as Record<string, unknown>;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(reported, portico.output());
    // Anyone can send such a post: a warning with the reason, never an error with a stack.
    assert.equal(reported.level, "warn");
    assert.equal(reported.component, "consent");
    assert.equal(reported.refusedFormPost, true);
    assert.equal(reported.err, undefined);
    assert.match(String(reported.reason), /Invalid forward reference/);
    assert.ok(!portico.output().includes('"level":"error"'), "no error line for the request's fault");
    // No line is Next.js's console text (its ⨯ and ⚠ prefixes, or a stack frame of its own).
    for (const line of portico.output().split("\n")) {
      assert.doesNotMatch(line, /^\s*(?:\u2A2F|\u26A0|at ignore-listed frames)/u, line);
    }
  });
});

for (const backend of BACKENDS) {
  describe(`Next.js's image optimizer, which no page uses, is off (${backend})`, () => {
    let portico: Portico;

    before(async () => {
      portico = await startPortico({ backend, compiled: true });
    });
    after(() => portico.stop());

    test("/_next/image is a 404 that renders no page for it and writes no error line", async () => {
      for (const url of ["/login", "/brand/logo.svg", "/consent?consent=x"]) {
        const answer = await fetch(`${portico.url}/_next/image?url=${encodeURIComponent(url)}&w=64&q=75`);
        await answer.arrayBuffer();
        // Before: a 400 after rendering the page for the optimizer, and an error line each time.
        assert.equal(answer.status, 404, url);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(!portico.output().includes('"level":"error"'), portico.output().slice(-2000));
    });
  });
}
