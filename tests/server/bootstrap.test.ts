import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { after, describe, test } from "node:test";
import { freePorts } from "@/tests/support/ports.ts";
import { BACKENDS, freshDatabase, introspect, startPortico } from "@/tests/support/server.ts";

const CONSENT_APP = "portico-consent-app";

for (const backend of BACKENDS) {
  describe(`bootstrap (${backend})`, () => {
    const drops: Array<() => Promise<void>> = [];
    after(async () => {
      for (const drop of drops) await drop();
    });

    test("a random root client is printed once, works, and is not recreated on restart", async () => {
      const database = await freshDatabase(backend);
      drops.push(database.drop);
      const env = { FORCE_ROOT_CLIENT_CREDENTIALS: "" };
      const first = await startPortico({ databaseUrl: database.url, env });
      const printed = first.output();
      await first.stop();
      const id = /client id:\s+(\S+)/.exec(printed)?.[1];
      const secret = /client secret:\s+(\S+)/.exec(printed)?.[1];
      assert.ok(id && secret, "the first start prints the root credentials");

      const second = await startPortico({ databaseUrl: database.url, env });
      try {
        assert.ok(!second.output().includes("client secret:"), "a restart prints no new credentials");
        const token = await second.tokenFor(id, secret);
        const clients = (await (await second.call("/clients", { token })).json()) as Array<{ id: string }>;
        assert.deepEqual(clients.map((c) => c.id).sort(), [CONSENT_APP, id].sort());
        const policies = (await (await second.call("/policies", { token })).json()) as Array<{ id: string }>;
        assert.equal(policies.length, new Set(policies.map((p) => p.id)).size, "no policy was created twice");
        assert.equal(policies.length, 6);
      } finally {
        await second.stop();
      }
    });

    test("FORCE_ROOT_CLIENT_CREDENTIALS: the given credentials work, twice, with nothing duplicated", async () => {
      const database = await freshDatabase(backend);
      drops.push(database.drop);
      const env = { FORCE_ROOT_CLIENT_CREDENTIALS: "admin:correct-horse-battery" };
      for (let start = 0; start < 2; start++) {
        const portico = await startPortico({ databaseUrl: database.url, env });
        try {
          assert.ok(!portico.output().includes("client secret:"));
          const token = await portico.tokenFor("admin", "correct-horse-battery");
          const root = (await (await portico.call("/clients/admin", { token })).json()) as Record<
            string,
            unknown
          >;
          assert.deepEqual(root.grant_types, ["client_credentials"]);
          assert.ok(String(root.scope).split(" ").includes("hydra.*"));
          const keys = (await (await portico.call("/keys/hydra.openid.id-token", { token })).json()) as {
            keys: Array<{ kid: string; alg: string; use: string }>;
          };
          assert.deepEqual(keys.keys.map((k) => k.kid).sort(), ["private", "public"]);
          assert.ok(keys.keys.every((k) => k.alg === "RS256" && k.use === "sig"));
          const clients = (await (await portico.call("/clients", { token })).json()) as unknown[];
          assert.equal(clients.length, 2);
        } finally {
          await portico.stop();
        }
      }
      // A changed secret for the same id is taken on the next start.
      const changed = await startPortico({
        databaseUrl: database.url,
        env: { FORCE_ROOT_CLIENT_CREDENTIALS: "admin:a-new-secret-value" },
      });
      try {
        const token = await changed.tokenFor("admin", "a-new-secret-value");
        const seen = await introspect(changed, token, { id: "admin", secret: "a-new-secret-value" });
        assert.equal(seen.active, true, "the new secret's token is active");
        assert.equal(seen.client_id, "admin");
        await assert.rejects(changed.tokenFor("admin", "correct-horse-battery"));
      } finally {
        await changed.stop();
      }
    });

    test("the consent app's client can read consent requests and clients, nothing else", async () => {
      const portico = await startPortico({ backend });
      try {
        const { embeddedConsentClientSecret } = await import("@/common/consent-client.ts");
        const secret = embeddedConsentClientSecret("test-system-secret-0123456789");
        const token = await portico.tokenFor(CONSENT_APP, secret, "hydra.consent hydra.clients");
        assert.equal((await portico.call(`/clients/${CONSENT_APP}`, { token })).status, 200);
        assert.equal((await portico.call("/clients", { token })).status, 403);
        assert.equal((await portico.call("/clients/x", { method: "DELETE", token })).status, 403);
        await assert.rejects(portico.tokenFor(CONSENT_APP, secret, "hydra.policies"));
      } finally {
        await portico.stop();
      }
    });
  });
}

describe("health", () => {
  test("GET /health is public; /health/stats needs hydra.health", async () => {
    const portico = await startPortico();
    try {
      const health = await portico.call("/health");
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      assert.equal((await portico.call("/health/stats")).status, 401);
      assert.equal(
        (await portico.call("/health/stats", { token: await portico.rootToken("hydra.clients") })).status,
        403,
      );
      const stats = await portico.call("/health/stats", { token: await portico.rootToken() });
      assert.equal(stats.status, 200);
      const body = (await stats.json()) as { requests: { total: number }; latency_ms: { p99: number } };
      assert.ok(body.requests.total > 0);
      assert.equal(typeof body.latency_ms.p99, "number");
    } finally {
      await portico.stop();
    }
  });

  test("every line the server logs at start is one JSON object, each member once", async () => {
    const portico = await startPortico();
    try {
      const lines = portico
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"));
      assert.ok(lines.some((line) => line.includes("Portico is listening")));
      for (const line of lines) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        // JSON.parse keeps the last of a repeated member; the line's own members must match its parse.
        const members = [...line.matchAll(/[{,]"([^"]+)":/g)].map((match) => match[1]);
        const topLevel = members.filter((name) => name !== undefined && name in parsed);
        assert.equal(new Set(topLevel).size, topLevel.length, `a member repeated in ${line}`);
      }
    } finally {
      await portico.stop();
    }
  });

  test("an unknown API path answers the JSON error envelope", async () => {
    const portico = await startPortico();
    try {
      const response = await portico.call("/clients/a/b");
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { error: { code: number } }).error.code, 404);
    } finally {
      await portico.stop();
    }
  });
});

describe("configuration", () => {
  // Each variable's parsing is tested directly in tests/common/config.test.ts; this proves the start's exit.
  test("a bad variable stops the start with one line naming it", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "server/main.ts"], {
      env: {
        PATH: process.env.PATH,
        SYSTEM_SECRET: "test-system-secret-0123456789",
        DATABASE_URL: "file:./data/never-created.db",
        BCRYPT_COST: "3",
      } as unknown as NodeJS.ProcessEnv,
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 1);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] as string, /^Configuration error: BCRYPT_COST must be 4–31$/);
  });
});

describe("workers", () => {
  test("a worker that cannot start stops the server instead of being restarted forever", async () => {
    const [port, adminPort] = (await freePorts(2)) as [number, number];
    const squatter = createServer().listen(port, "127.0.0.1");
    const database = await freshDatabase("sqlite");
    try {
      const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
        env: {
          PATH: process.env.PATH,
          SYSTEM_SECRET: "test-system-secret-0123456789",
          DATABASE_URL: database.url,
          PORT: String(port),
          HOST: "127.0.0.1",
          ADMIN_PORT: String(adminPort),
          WORKERS: "2",
          BCRYPT_COST: "4",
        } as unknown as NodeJS.ProcessEnv,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      assert.equal(code, 1);
      assert.match(stderr, /could not start/);
    } finally {
      squatter.close();
      await database.drop();
    }
  });
});
