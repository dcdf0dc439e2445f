import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";

/** Where Debian's package installs PgBouncer (.ci/run installs it), or undefined when it is not installed. */
export function pgbouncerBinary(): string | undefined {
  for (const candidate of ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]) {
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" });
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface Pgbouncer {
  port: number;
  /** `databaseUrl` (a database on the server PgBouncer fronts) through PgBouncer, with `params` added. */
  urlOf(databaseUrl: string, params?: Record<string, string>): string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer of the test's own, in transaction pooling mode as managed hosts
 * run it (Supabase's, Neon's pooled URLs), on a free port, in front of the
 * PostgreSQL server at `target` (every database, the credentials of
 * `databaseUrl` in its userlist). A temp folder holds its configuration; as
 * root (CI) it runs as `nobody`, since PgBouncer refuses to run as root.
 */
export async function startPgbouncer(
  databaseUrl: string,
  target: { host: string; port: number },
  options: { poolSize?: number } = {},
): Promise<Pgbouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error("pgbouncer is not installed (.ci/run installs it: apt-get install pgbouncer)");
  const url = new URL(databaseUrl);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), "portico-pgbouncer-"));
  chmodSync(folder, 0o755);
  const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;
  writeFileSync(join(folder, "userlist.txt"), `${quoted(user)} ${quoted(password)}\n`, { mode: 0o644 });
  writeFileSync(
    join(folder, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${target.host} port=${target.port}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = plain",
      `auth_file = ${join(folder, "userlist.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${options.poolSize ?? 5}`,
      "max_client_conn = 500",
      // A server that went away is retried soon, not after the default 15 s; a query waiting for
      // a server connection fails after 5 s, not the default 120 s (README, "Behind a pooler").
      "server_login_retry = 1",
      "query_wait_timeout = 5",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(
    binary,
    [...(asRoot ? ["-u", "nobody"] : []), join(folder, "pgbouncer.ini")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!/listening on 127\.0\.0\.1:\d+/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(folder, { recursive: true, force: true });
      throw new Error(`pgbouncer did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    urlOf(databaseUrl, params = {}) {
      const through = new URL(databaseUrl);
      through.host = `127.0.0.1:${port}`;
      for (const [name, value] of Object.entries(params)) through.searchParams.set(name, value);
      return through.href;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
