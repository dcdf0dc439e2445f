import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { authorizationCodeFlow } from "@/bench/lib/flow.ts";
import { migrate, readMigrations } from "@/db/migrate.ts";
import { Relay } from "@/tests/support/outage.ts";
import { type Pgbouncer, pgbouncerBinary, startPgbouncer } from "@/tests/support/pgbouncer.ts";
import { freePort } from "@/tests/support/ports.ts";
import { BACKENDS, basicAuth, freshDatabase, type Portico, startPortico } from "@/tests/support/server.ts";

// Portico behind PgBouncer in transaction pooling mode, as managed hosts serve PostgreSQL
// (Supabase's and Neon's pooled URLs): each transaction may run on another server connection,
// so a named prepared statement made on one is missing on the next, or already there.

const installed = pgbouncerBinary() !== undefined;
if (!installed) {
  if (process.env.CI) throw new Error("CI must install pgbouncer (.ci/run) so the pooler tests run");
  process.stderr.write("# pgbouncer is not installed: the pooler tests are skipped\n");
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A PgBouncer (transaction pooling) in front of a fresh database, through a relay the test can pull. */
async function pooledDatabase(): Promise<{ database: string; relay: Relay; pgbouncer: Pgbouncer }> {
  const database = await freshDatabase("postgresql");
  cleanups.push(database.drop);
  const direct = new URL(database.url);
  const relay = new Relay(await freePort(), { host: direct.hostname, port: Number(direct.port || 5432) });
  await relay.up();
  cleanups.push(() => relay.down());
  // Fewer server connections than the process's pool, as on a managed host.
  const pgbouncer = await startPgbouncer(
    database.url,
    { host: "127.0.0.1", port: relay.port },
    { poolSize: 4 },
  );
  cleanups.push(() => pgbouncer.stop());
  return { database: database.url, relay, pgbouncer };
}

const web = {
  id: "pooled-web",
  secret: "pooled-web-secret-0123456789abcdef",
  redirectUri: "https://client.example/callback",
  scope: "openid offline",
};

async function form(portico: Portico, path: string, authorization: string, body: Record<string, string>) {
  const response = await fetch(`${portico.url}${path}`, {
    method: "POST",
    headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Many requests at once of every kind the prepared statements serve; each must succeed. */
async function exercise(portico: Portico): Promise<void> {
  const token = await portico.rootToken("hydra.clients");
  const created = await portico.call("/clients", {
    token,
    json: {
      id: web.id,
      client_secret: web.secret,
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      response_types: ["code"],
      redirect_uris: [web.redirectUri],
      scope: `${web.scope} x`,
    },
  });
  assert.equal(created.status, 201, await created.text());

  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const issued = await form(portico, "/oauth2/token", basicAuth(web.id, web.secret), {
          grant_type: "client_credentials",
          scope: "x",
        });
        if (issued.status !== 200) return `token ${issued.status} ${JSON.stringify(issued.body)}`;
        const active = await form(portico, "/oauth2/introspect", basicAuth(web.id, web.secret), {
          token: issued.body.access_token as string,
        });
        if (active.status !== 200 || active.body.active !== true)
          return `introspect ${active.status} ${JSON.stringify(active.body)}`;
        const read = await portico.call(i % 2 ? `/clients/${web.id}` : "/clients", { token });
        return read.status === 200 ? "ok" : `clients ${read.status}`;
      }),
    );
    assert.deepEqual(
      answers.filter((answer) => answer !== "ok"),
      [],
      portico
        .output()
        .split("\n")
        .find((line) => line.includes("prepared statement")),
    );
  }

  // The code flow: its uses of codes and consent requests are the transactions of db/raw.ts.
  const flows = await Promise.all(
    Array.from({ length: 4 }, async (_, i) =>
      authorizationCodeFlow({
        client: web,
        consentToken: await portico.rootToken("hydra.consent"),
        subject: `pooled-user-${i}`,
        routes: { auth: portico.url, consent: portico.url, callback: portico.url, token: portico.url },
      }),
    ),
  );
  for (const flow of flows) {
    const refreshed = await form(portico, "/oauth2/token", basicAuth(web.id, web.secret), {
      grant_type: "refresh_token",
      refresh_token: flow.tokens.refresh_token as string,
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    const replay = await form(portico, "/oauth2/token", basicAuth(web.id, web.secret), {
      grant_type: "authorization_code",
      code: flow.code,
      redirect_uri: web.redirectUri,
    });
    assert.equal(replay.body.error, "invalid_grant");
  }
  assert.doesNotMatch(portico.output(), /prepared statement/);
}

for (const backend of BACKENDS.filter((b) => b === "postgresql")) {
  describe(`behind PgBouncer in transaction pooling mode (${backend})`, { skip: !installed }, () => {
    for (const params of [{ pgbouncer: "true" }, {}] as Record<string, string>[]) {
      const named = new URLSearchParams(params).toString() || "no pgbouncer parameter";
      test(`${named}, WORKERS=2: tokens, introspection, clients and the code flow at once, no 500`, async () => {
        const { database, pgbouncer } = await pooledDatabase();
        const portico = await startPortico({
          backend,
          databaseUrl: pgbouncer.urlOf(database, params),
          env: { WORKERS: "2" },
        });
        try {
          await exercise(portico);
        } finally {
          await portico.stop();
        }
      });
    }

    test("two migrators at once through the pooler: one applies every migration, the other waits and applies none", async () => {
      const { database, pgbouncer } = await pooledDatabase();
      const url = pgbouncer.urlOf(database, { pgbouncer: "true" });
      // Each takes the migration lock; through the pooler a session lock landed on a server
      // connection the other could take too, and both applied the first migration at once.
      const results = await Promise.allSettled([migrate(url), migrate(url)]);
      const applied = results.map((result) =>
        result.status === "fulfilled" ? result.value.length : `${result.reason}`,
      );
      assert.deepEqual(applied.sort(), [0, readMigrations("postgresql").length].sort());
    });

    test("the database gone behind the pooler: 503, then served again without a restart", async () => {
      const { database, relay, pgbouncer } = await pooledDatabase();
      const portico = await startPortico({
        backend,
        databaseUrl: pgbouncer.urlOf(database, { pgbouncer: "true" }),
      });
      try {
        const token = await portico.rootToken("hydra.clients");
        const list = () => portico.call("/clients", { token });
        assert.equal((await list()).status, 200);
        await relay.down();
        try {
          const refused = await eventually(503, list);
          assert.equal(refused.status, 503, await refused.text());
          assert.doesNotMatch(portico.output(), /"msg":"request failed"/);
        } finally {
          await relay.up();
        }
        const healed = await eventually(200, list);
        assert.equal(healed.status, 200, await healed.text());
        assert.equal((await portico.call(`/clients/${web.id}`, { token })).status, 404);
      } finally {
        await portico.stop();
      }
    });
  });
}

/** Tries until the answer is `status` (the pooler notices a cut connection on its next use). */
async function eventually(status: number, request: () => Promise<Response>): Promise<Response> {
  let response = await request();
  for (let tries = 0; response.status !== status && tries < 40; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    response = await request();
  }
  return response;
}
