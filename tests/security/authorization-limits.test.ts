import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import { loadConfig } from "@/server/config/config.ts";
import { purgeExpired } from "@/server/housekeeping.ts";
import {
  Browser,
  registerClient,
  SYSTEM_SECRET,
  sleep,
  startOAuth2Portico,
  type TestClient,
} from "@/tests/oauth2/support.ts";
import { BACKENDS, type Portico } from "@/tests/support/server.ts";

const authUrl = (portico: Portico, client: TestClient, extra: Record<string, string> = {}) =>
  `${portico.url}/oauth2/auth?${new URLSearchParams({
    response_type: "code",
    client_id: client.id,
    redirect_uri: client.redirectUri,
    scope: "openid",
    state: "state-value-1234",
    ...extra,
  })}`;

for (const backend of BACKENDS) {
  describe(`/oauth2/auth cannot be used to fill the database or a cookie jar (finding 3, ${backend})`, () => {
    let portico: Portico;
    let db: Database;
    let client: TestClient;
    before(async () => {
      portico = await startOAuth2Portico({ backend, env: { CHALLENGE_TOKEN_LIFESPAN: "1s" } });
      db = createDatabase(portico.databaseUrl);
      client = await registerClient(portico, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
      });
    });
    after(async () => {
      await db.$disconnect();
      await portico.stop();
    });

    test("oversized requests are invalid_request and store nothing", async () => {
      const before = await db.consentRequest.count();
      for (const extra of <Array<Record<string, string>>>[
        { state: "s".repeat(513) },
        { nonce: "n".repeat(513) },
        { state: "s".repeat(512), padding: "p".repeat(4000) },
      ]) {
        const response = await fetch(authUrl(portico, client, extra), { redirect: "manual" });
        assert.equal(response.status, 400);
        assert.match(await response.text(), /invalid_request/);
      }
      assert.equal(await db.consentRequest.count(), before);
      const fine = await fetch(authUrl(portico, client, { state: "s".repeat(512) }), { redirect: "manual" });
      assert.equal(fine.status, 302);
    });

    test("a browser keeps at most five binding cookies however many flows a page forces", async () => {
      const browser = new Browser();
      for (let i = 0; i < 12; i++) assert.equal((await browser.get(authUrl(portico, client))).status, 302);
      const jar = (browser as unknown as { cookies: Map<string, unknown> }).cookies;
      const bindings = [...jar.keys()].filter((name) => name.startsWith("portico_consent_"));
      assert.equal(bindings.length, 5);
    });

    test("unused expired consent requests are deleted at the next housekeeping, not a day later", async () => {
      const response = await fetch(authUrl(portico, client), { redirect: "manual" });
      const id = new URL(response.headers.get("location") ?? "").searchParams.get("consent") ?? "";
      assert.ok(await db.consentRequest.findUnique({ where: { id } }));
      await sleep(1200);
      await purgeExpired(db, loadConfig({ SYSTEM_SECRET }));
      assert.equal(await db.consentRequest.findUnique({ where: { id } }), null);
    });
  });
}

describe("AUTH_RATE_LIMIT (finding 3)", () => {
  let portico: Portico;
  let client: TestClient;
  before(async () => {
    portico = await startOAuth2Portico({ env: { AUTH_RATE_LIMIT: "5,0.5" } });
    client = await registerClient(portico, { grant_types: ["authorization_code"], response_types: ["code"] });
  });
  after(() => portico.stop());

  test("a token bucket per address: the burst, then 429 with Retry-After; loopback counts too", async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal((await fetch(authUrl(portico, client), { redirect: "manual" })).status, 302);
    }
    const limited = await fetch(authUrl(portico, client), { redirect: "manual" });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.match(await limited.text(), /temporarily_unavailable/);
    await sleep(2100);
    assert.equal((await fetch(authUrl(portico, client), { redirect: "manual" })).status, 302, "refilled");
  });

  test("behind TRUST_PROXY, an X-Forwarded-For entry with a port is its address: a new source port is no new bucket", async () => {
    const proxied = await startOAuth2Portico({ env: { AUTH_RATE_LIMIT: "3,0.01", TRUST_PROXY: "1" } });
    try {
      const proxiedClient = await registerClient(proxied, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
      });
      // Azure's front ends and some load balancers write the client's address with its source port.
      const ask = (forwardedFor: string) =>
        fetch(authUrl(proxied, proxiedClient), {
          redirect: "manual",
          headers: { "x-forwarded-for": forwardedFor },
        }).then((answer) => answer.status);
      for (const [spellings, what] of [
        [["203.0.113.9:50001", "203.0.113.9:50002", "203.0.113.9", "203.0.113.9:50003"], "IPv4"],
        [["[2001:db8:5::1]:443", "[2001:db8:5::1]:444", "2001:db8:5::2", "[2001:db8:5::1]"], "IPv6"],
      ] as const) {
        const statuses = [];
        for (const spelling of spellings) statuses.push(await ask(spelling));
        assert.deepEqual(statuses, [302, 302, 302, 429], what);
      }
      assert.equal(await ask("198.51.100.4:50001"), 302, "another address has its own bucket");
    } finally {
      await proxied.stop();
    }
  });

  test("unset, the default (a burst of 100, then 10 per second) answers a flood with 429 and Retry-After", async () => {
    const byDefault = await startOAuth2Portico({ unset: ["AUTH_RATE_LIMIT"] });
    try {
      const defaultClient = await registerClient(byDefault, {
        grant_types: ["authorization_code"],
        response_types: ["code"],
      });
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 140 }, () => fetch(authUrl(byDefault, defaultClient), { redirect: "manual" })),
      );
      const seconds = (Date.now() - started) / 1000;
      const served = answers.filter((answer) => answer.status === 302).length;
      const limited = answers.filter((answer) => answer.status === 429);
      assert.equal(served + limited.length, answers.length, "only 302 or 429");
      assert.ok(served >= 100, `the burst of 100 is served (${served})`);
      assert.ok(served <= 100 + Math.ceil(seconds * 10) + 1, `then 10 per second (${served} in ${seconds}s)`);
      assert.ok(limited.length > 0);
      for (const answer of limited) assert.ok(Number(answer.headers.get("retry-after")) >= 1);
      await Promise.all(answers.map((answer) => answer.body?.cancel()));
    } finally {
      await byDefault.stop();
    }
  });

  test("bad values stop the start", () => {
    for (const value of ["fast", "10", "0,5", "5,0"]) {
      assert.throws(() => loadConfig({ SYSTEM_SECRET, AUTH_RATE_LIMIT: value }), /AUTH_RATE_LIMIT/, value);
    }
    assert.equal(loadConfig({ SYSTEM_SECRET, AUTH_RATE_LIMIT: "0" }).authRateLimit, undefined);
    assert.deepEqual(loadConfig({ SYSTEM_SECRET }).authRateLimit, { burst: 100, perSecond: 10 });
  });
});
