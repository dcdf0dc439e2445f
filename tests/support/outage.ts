import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import BetterSqlite3 from "better-sqlite3";
import { sqlitePath } from "@/db/client.ts";
import { freePorts } from "@/tests/support/ports.ts";
import type { Backend } from "@/tests/support/server.ts";

/**
 * A TCP relay to the PostgreSQL server that the test can pull out (every
 * connection cut, the port closed: the database is down) and put back.
 */
export class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = tcpConnect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * The URL a server under test uses for `databaseUrl`, and the relay that can make it unavailable:
 * on PostgreSQL through a relay the test can pull; on SQLite the file itself (see outage).
 */
export async function relayedDatabase(
  backend: Backend,
  databaseUrl: string,
): Promise<{ databaseUrl: string; relay: Relay | undefined }> {
  if (backend !== "postgresql") return { databaseUrl, relay: undefined };
  const url = new URL(databaseUrl);
  const [port] = (await freePorts(1)) as [number];
  const relay = new Relay(port, { host: url.hostname, port: Number(url.port || 5432) });
  await relay.up();
  url.host = `127.0.0.1:${port}`;
  return { databaseUrl: url.href, relay };
}

/** The database made unavailable for as long as `during` runs: the relay pulled, or the SQLite file locked. */
export async function outage(
  backend: Backend,
  relay: Relay | undefined,
  databaseUrl: string,
  during: () => Promise<void>,
) {
  if (backend === "postgresql") {
    await relay?.down();
    try {
      await during();
    } finally {
      await relay?.up();
    }
    return;
  }
  // Another process (as a backup tool would) holds SQLite's write lock past the busy timeout.
  const holder = new BetterSqlite3(sqlitePath(databaseUrl));
  holder.exec("BEGIN EXCLUSIVE");
  try {
    await during();
  } finally {
    holder.exec("COMMIT");
    holder.close();
  }
}
