import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { withPostgresConnection } from "@/db/postgres-server.ts";
import { BACKENDS, freshDatabase, startPortico } from "@/tests/support/server.ts";

// The PostgreSQL connection strings of Prisma-based apps, as DATABASE_URL.

function withParams(databaseUrl: string, params: Record<string, string>): string {
  const url = new URL(databaseUrl);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

async function tablesBySchema(databaseUrl: string): Promise<Record<string, number>> {
  const plain = new URL(databaseUrl);
  plain.search = "";
  return withPostgresConnection(plain.toString(), async (client) => {
    const { rows } = await client.query<{ schema: string; count: string }>(
      `SELECT table_schema AS schema, count(*) AS count FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY table_schema`,
    );
    return Object.fromEntries(rows.map((row) => [row.schema, Number(row.count)]));
  });
}

/** A TCP proxy to the PostgreSQL server of `databaseUrl`, listening where `listen` says (an IPv6 address, a Unix socket). */
async function proxyTo(
  databaseUrl: string,
  listen: { host: string; port: number } | { path: string },
): Promise<Server> {
  const target = new URL(databaseUrl);
  const server = createServer((socket) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  return server;
}

if (BACKENDS.includes("postgresql")) {
  describe("DATABASE_URL's parameters (postgresql)", () => {
    const drops: Array<() => Promise<void>> = [];
    after(async () => {
      for (const drop of drops) await drop();
    });

    test("?schema= puts each instance's tables and data in its own schema of one database", async () => {
      const database = await freshDatabase("postgresql");
      drops.push(database.drop);
      const one = await startPortico({ databaseUrl: withParams(database.url, { schema: "portico_one" }) });
      const two = await startPortico({ databaseUrl: withParams(database.url, { schema: "portico_two" }) });
      try {
        const created = await one.call("/clients", {
          method: "POST",
          token: await one.rootToken(),
          json: { id: "only-in-one", client_name: "one", grant_types: ["client_credentials"] },
        });
        const body = await created.text();
        assert.equal(created.status, 201, body);
        const { client_secret: secret } = JSON.parse(body) as { client_secret: string };
        // The prepared statements of db/raw.ts (the token endpoint's client lookup) read the schema too.
        assert.ok(await one.tokenFor("only-in-one", secret));

        const listed = async (portico: typeof one) =>
          (
            (await (await portico.call("/clients", { token: await portico.rootToken() })).json()) as Array<{
              id: string;
            }>
          )
            .map((client) => client.id)
            .includes("only-in-one");
        assert.equal(await listed(one), true);
        assert.equal(await listed(two), false, "the other schema's instance does not see the client");
        const refused = await fetch(`${two.url}/oauth2/token`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`only-in-one:${secret}`).toString("base64")}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: "grant_type=client_credentials",
        });
        assert.equal(refused.status, 401);

        const tables = await tablesBySchema(database.url);
        assert.equal(tables.public, undefined, `nothing in public: ${JSON.stringify(tables)}`);
        assert.ok((tables.portico_one ?? 0) > 10 && tables.portico_one === tables.portico_two);
      } finally {
        await one.stop();
        await two.stop();
      }
    });

    test("?schema= naming a schema not made yet, with Portico's tables in public, stops the start (earlier versions ignored it)", async () => {
      const database = await freshDatabase("postgresql");
      drops.push(database.drop);
      // Before ?schema= was applied, an instance with it set kept its tables in public.
      const earlier = await startPortico({ databaseUrl: database.url });
      await earlier.stop();
      const named = withParams(database.url, { schema: "portico_moved" });
      await assert.rejects(startPortico({ databaseUrl: named }), (error: Error) => {
        assert.match(
          error.message,
          /DATABASE_URL names the schema portico_moved, which does not exist, and Portico's tables are in public/,
        );
        return true;
      });
      assert.equal(
        (await tablesBySchema(database.url)).portico_moved,
        undefined,
        "nothing made in the new schema",
      );
      // A schema the operator made first is a new instance's, beside the one in public.
      await withPostgresConnection(database.url, (client) => client.query('CREATE SCHEMA "portico_moved"'));
      const beside = await startPortico({ databaseUrl: named });
      await beside.stop();
      const tables = await tablesBySchema(database.url);
      assert.ok(
        (tables.portico_moved ?? 0) > 10 && tables.portico_moved === tables.public,
        JSON.stringify(tables),
      );
    });

    test("the connection parameters Prisma apps use are applied", async () => {
      const database = await freshDatabase("postgresql");
      drops.push(database.drop);
      const portico = await startPortico({
        databaseUrl: withParams(database.url, {
          sslmode: "prefer",
          connection_limit: "3",
          connect_timeout: "10",
          application_name: "portico-test",
        }),
      });
      try {
        assert.equal((await portico.call("/health")).status, 200);
        assert.ok(await portico.rootToken());
        const names = await withPostgresConnection(database.url, async (client) => {
          const { rows } = await client.query<{ name: string }>(
            "SELECT application_name AS name FROM pg_stat_activity WHERE datname = current_database()",
          );
          return rows.map((row) => row.name);
        });
        assert.ok(names.includes("portico-test"), `application_name: ${names.join(", ")}`);
      } finally {
        await portico.stop();
      }
    });

    test("an IPv6 host ([::1]) and a Unix socket (?host=) are where Portico connects", async () => {
      const database = await freshDatabase("postgresql");
      drops.push(database.drop);
      const ipv6 = await proxyTo(database.url, { host: "::1", port: 0 });
      const folder = mkdtempSync(join(tmpdir(), "portico-socket-"));
      // pg connects to <host>/.s.PGSQL.<port>, as libpq does; port 1 on TCP would be refused.
      const unix = await proxyTo(database.url, { path: join(folder, ".s.PGSQL.1") });
      try {
        const overIpv6 = new URL(database.url);
        overIpv6.hostname = "[::1]";
        overIpv6.port = String((ipv6.address() as { port: number }).port);
        const overSocket = new URL(database.url);
        overSocket.hostname = "localhost";
        overSocket.port = "1";
        overSocket.searchParams.set("host", folder);
        for (const url of [overIpv6, overSocket]) {
          const portico = await startPortico({ databaseUrl: url.toString() });
          try {
            assert.ok(await portico.rootToken(), url.toString());
          } finally {
            await portico.stop();
          }
        }
      } finally {
        ipv6.close();
        unix.close();
        rmSync(folder, { recursive: true, force: true });
      }
    });

    for (const [params, expected] of [
      [
        { sslmode: "require" },
        /Portico could not start: the database at DATABASE_URL cannot be used \(The server does not support SSL connections\)/,
      ],
      [{ pgbouncer: "yes" }, /DATABASE_URL: pgbouncer must be true or false/],
      [{ pgbouncer: "true", schema: "elsewhere" }, /DATABASE_URL: schema cannot be used with pgbouncer=true/],
      [{ options: "-c search_path=elsewhere" }, /DATABASE_URL: the parameter options is not supported/],
      [{ sslmode: "allow" }, /DATABASE_URL: sslmode must be one of/],
    ] as const) {
      test(`${new URLSearchParams(params)} stops the start with one line, without the password`, async () => {
        const database = await freshDatabase("postgresql");
        drops.push(database.drop);
        const url = new URL(withParams(database.url, params));
        url.password = "s3cret%40pw";
        await assert.rejects(startPortico({ databaseUrl: url.toString() }), (error: Error) => {
          assert.match(error.message, expected);
          assert.ok(!error.message.includes("s3cret"), error.message);
          assert.ok(!error.message.includes('"stack"'), `one line, no stack: ${error.message}`);
          return true;
        });
      });
    }
  });
}
