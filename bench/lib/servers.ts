import { type ChildProcess, spawn } from "node:child_process";
import {
  createPostgresDatabase,
  dropPostgresDatabase,
  postgresDatabaseUrl,
  withPostgresConnection,
} from "@/db/postgres-server.ts";

/** A child process whose output is kept, for waiting on a line and for showing on failure. */
export interface Managed {
  child: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export function launch(args: string[], env: Record<string, string>, cwd = process.cwd()): Managed {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ...env,
  };
  const child = spawn(process.execPath, args, {
    cwd,
    env: childEnv as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (chunk: Buffer) => {
    log += chunk.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    pid: child.pid ?? 0,
    output: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `ready()` holds (polled every 100 ms), failing early when the process exits. */
export async function waitUntil(
  what: string,
  server: Managed,
  ready: () => boolean | Promise<boolean>,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(`${what} exited with ${server.child.exitCode}:\n${server.output().slice(-4000)}`);
    }
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs / 1000} s:\n${server.output().slice(-4000)}`);
}

export function countMatches(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * Makes the benchmark's PostgreSQL database exist. A database whose name
 * contains "bench" is dropped and created again (BENCH_RESET=0 keeps it), so
 * every run starts as fresh as the SQLite one; any other is only created when
 * missing.
 */
export async function preparePostgres(databaseUrl: string, reset: boolean): Promise<string> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`unusable database name ${name}`);
  return withPostgresConnection(postgresDatabaseUrl(databaseUrl, "postgres"), async (client) => {
    const exists = (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount;
    if (exists && reset && name.includes("bench")) {
      await dropPostgresDatabase(client, name);
      await createPostgresDatabase(client, name);
      return "recreated";
    }
    if (!exists) {
      await createPostgresDatabase(client, name);
      return "created";
    }
    return "reused";
  });
}
