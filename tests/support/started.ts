import { after, before } from "node:test";
import { createDatabase, type Database } from "@/db/client.ts";
import type { ThrowawayDatabase } from "@/db/throwaway.ts";
import { type Backend, freshDatabase, type Portico, type StartOptions, startPortico } from "./server.ts";

/** A server for the tests of one suite, and a client of its database (to seed it and look into it). */
export interface StartedPortico {
  readonly portico: Portico;
  readonly db: Database;
}

/**
 * Starts a server for the calling `describe`: its `before` starts it, opens `db` on its database
 * and runs `setUp`; its `after` closes both. `portico` and `db` are there from then on, for the
 * suite's tests and its own hooks.
 */
export function startedPortico(
  options: StartOptions,
  setUp?: (started: StartedPortico) => Promise<void>,
): StartedPortico {
  let portico: Portico | undefined;
  let db: Database | undefined;
  const started: StartedPortico = {
    get portico() {
      if (!portico) throw new Error("the server starts in the suite's before hook");
      return portico;
    },
    get db() {
      if (!db) throw new Error("the database client opens in the suite's before hook");
      return db;
    },
  };
  before(async () => {
    portico = await startPortico(options);
    db = createDatabase(portico.databaseUrl);
    await setUp?.(started);
  });
  after(async () => {
    await db?.$disconnect();
    await portico?.stop();
  });
  return started;
}

/** Fresh databases for a suite's tests, and the servers they start and restart on them. */
export interface RestartedPortico {
  /** A fresh database (its URL), dropped after the suite. */
  database(): Promise<string>;
  /** The server being started, to be stopped after the suite if a test has not stopped it. */
  keep(starting: Promise<Portico>): Promise<Portico>;
}

/**
 * For a suite whose tests start servers one after another on one database, as an operator
 * restarts one (a changed secret): its `after` stops every server still running, then drops
 * every database.
 */
export function restartedPortico(backend: Backend): RestartedPortico {
  const servers: Portico[] = [];
  const databases: ThrowawayDatabase[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    for (const database of databases) await database.drop();
  });
  return {
    async database() {
      const database = await freshDatabase(backend);
      databases.push(database);
      return database.url;
    },
    async keep(starting) {
      const server = await starting;
      servers.push(server);
      return server;
    },
  };
}
