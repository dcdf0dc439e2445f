/**
 * Stopping Portico as a service manager does (SIGTERM): requests in flight on
 * both ports are answered, a connection kept alive (as a reverse proxy's pool
 * keeps them) carries no new request once the stop began, and the process
 * exits 0; a stop while migrations run stops the setup child too, and the
 * next start finishes them.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import { freePorts } from "@/tests/support/ports.ts";
import { childrenOf, commandLine, workersOf } from "@/tests/support/processes.ts";
import { BACKENDS, basicAuth, freshDatabase, type Portico, startPortico } from "@/tests/support/server.ts";

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 connection written by hand, so that a request can stay half-sent. */
class RawConnection {
  private buffer = "";
  private ended = false;
  private waiting?: () => void;
  private readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.setEncoding("latin1");
    this.socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
    const end = () => {
      this.ended = true;
      this.waiting?.();
    };
    this.socket.on("end", end);
    this.socket.on("close", end);
    this.socket.on("error", end);
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /** The next whole answer on this connection; undefined when the server closed it first. */
  async answer(): Promise<RawAnswer | undefined> {
    for (;;) {
      const head = this.buffer.indexOf("\r\n\r\n");
      if (head !== -1) {
        const lines = this.buffer.slice(0, head).split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers["content-length"] ?? 0);
        if (this.buffer.length >= head + 4 + length) {
          const body = this.buffer.slice(head + 4, head + 4 + length);
          this.buffer = this.buffer.slice(head + 4 + length);
          return { status: Number(lines[0]?.split(" ")[1]), headers, body };
        }
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resolves once a new connection to the port is refused: the process stopped listening. */
async function stoppedListening(port: number): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const refused = await new Promise<boolean>((resolve) => {
      const probe = connect(port, "127.0.0.1");
      probe.once("connect", () => {
        probe.destroy();
        resolve(false);
      });
      probe.once("error", () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`port ${port} still accepts connections`);
}

/** Whether a process runs (a zombie does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

for (const backend of BACKENDS) {
  describe(`stopping with SIGTERM (${backend})`, { timeout: 600_000 }, () => {
    const started: Portico[] = [];
    after(async () => {
      for (const portico of started) await portico.stop();
    });

    const cases = [
      { workers: "1", group: false, twice: false },
      { workers: "2", group: false, twice: false },
      // systemd (KillMode=control-group), a terminal's Ctrl-C: every process of the group gets the signal.
      { workers: "2", group: true, twice: false },
      // An impatient operator, or a service manager that asks again.
      { workers: "2", group: false, twice: true },
    ];
    for (const { workers, group, twice } of cases) {
      const signalled = group
        ? "the primary and every worker signalled"
        : `the primary signalled${twice ? " twice" : ""}`;
      test(`requests in flight on both ports are answered, a kept-alive connection carries no new one, exit 0 (WORKERS=${workers}, ${signalled})`, async () => {
        // A long grace: on a loaded machine the requests in flight may take seconds, and it is their
        // being answered that this asserts, not the default limit.
        const portico = await startPortico({ backend, env: { WORKERS: workers, SHUTDOWN_TIMEOUT: "60s" } });
        started.push(portico);
        const port = Number(new URL(portico.url).port);
        const adminPort = Number(new URL(portico.adminUrl).port);

        const form = new URLSearchParams({
          grant_type: "client_credentials",
          scope: "hydra.clients",
        }).toString();
        const tokenRequest = [
          "POST /oauth2/token HTTP/1.1",
          "Host: portico.test",
          `Authorization: ${basicAuth(portico.root.id, portico.root.secret)}`,
          "Content-Type: application/x-www-form-urlencoded",
          `Content-Length: ${form.length}`,
          "",
          "",
        ].join("\r\n");
        const client = JSON.stringify({ client_name: "made while stopping" });
        const adminRequest = [
          "POST /admin/clients HTTP/1.1",
          "Host: admin.test",
          "Content-Type: application/json",
          `Content-Length: ${client.length}`,
          "",
          "",
        ].join("\r\n");

        // A connection that already served a request, as a proxy keeps one, then one in flight.
        const publicConnection = new RawConnection(port);
        publicConnection.write(`${tokenRequest}${form}`);
        assert.equal((await publicConnection.answer())?.status, 200);
        publicConnection.write(`${tokenRequest}${form.slice(0, 5)}`);
        const adminConnection = new RawConnection(adminPort);
        adminConnection.write(`${adminRequest}${client.slice(0, 5)}`);
        // Both requests have reached the server (their bodies are what is missing) before the stop.
        await new Promise((resolve) => setTimeout(resolve, 300));

        const workerPids = workersOf(portico.pid);
        process.kill(portico.pid, "SIGTERM");
        if (group) for (const pid of workerPids) process.kill(pid, "SIGTERM");
        if (twice) process.kill(portico.pid, "SIGTERM");
        await stoppedListening(port);
        publicConnection.write(form.slice(5));
        adminConnection.write(client.slice(5));

        const token = await publicConnection.answer();
        assert.equal(
          token?.status,
          200,
          `the token request in flight is answered: ${JSON.stringify(token)}\n${portico.output()}`,
        );
        assert.match(token?.body ?? "", /"access_token"/);
        const created = await adminConnection.answer();
        assert.equal(
          created?.status,
          201,
          `the admin request in flight is answered: ${JSON.stringify(created)}\n${portico.output()}`,
        );

        // The same connection, after the stop began: not served as if nothing happened.
        publicConnection.write(`${tokenRequest}${form}`);
        const later = await publicConnection.answer();
        assert.ok(
          later === undefined || later.headers.connection === "close",
          `a request on a kept-alive connection after the stop was served on it: ${JSON.stringify(later?.headers)}`,
        );
        publicConnection.close();
        adminConnection.close();
        assert.deepEqual(await portico.exited, { code: 0, signal: null });
        assert.doesNotMatch(portico.output(), /"level":"error"/);
      });
    }

    test("a request that never completes holds a stop only until SHUTDOWN_TIMEOUT: the process then exits 0", async () => {
      const portico = await startPortico({ backend, env: { WORKERS: "1", SHUTDOWN_TIMEOUT: "1s" } });
      started.push(portico);
      // Headers that promise a body which never comes: the request stays in flight.
      const stuck = new RawConnection(Number(new URL(portico.url).port));
      stuck.write(
        [
          "POST /oauth2/token HTTP/1.1",
          "Host: portico.test",
          "Content-Type: application/x-www-form-urlencoded",
          "Content-Length: 100",
          "",
          "grant_type=",
        ].join("\r\n"),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.kill(portico.pid, "SIGTERM");
      assert.deepEqual(await portico.exited, { code: 0, signal: null });
      stuck.close();
    });

    test("SIGTERM while the setup child migrates and bootstraps: it stops too, exit 0, and the next start finishes the setup", async () => {
      const database = await freshDatabase(backend);
      try {
        const [port, adminPort] = (await freePorts(2)) as [number, number];
        const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
          cwd: process.cwd(),
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            NODE_ENV: "production",
            DATABASE_URL: database.url,
            PORT: String(port),
            HOST: "127.0.0.1",
            ADMIN_PORT: String(adminPort),
            ADMIN_HOST: "127.0.0.1",
            SYSTEM_SECRET: "test-system-secret-0123456789",
            FORCE_ROOT_CLIENT_CREDENTIALS: "root:a-root-secret-for-the-stop-test",
            BCRYPT_COST: "4",
            WORKERS: "2",
          },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
        });
        child.stderr.on("data", (chunk: Buffer) => {
          output += chunk.toString();
        });
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once("exit", (code, signal) => resolve({ code, signal })),
        );
        // The setup child (migrations, then the bootstrap): the primary's child with the setup flag.
        let setup: number | undefined;
        while (setup === undefined && child.exitCode === null) {
          setup = childrenOf(child.pid ?? 0).find((pid) => commandLine(pid).includes("--portico-setup"));
          if (setup === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(setup, `the setup child started:\n${output}`);
        assert.doesNotMatch(output, /Portico is listening/);
        child.kill("SIGTERM");
        assert.deepEqual(await exited, { code: 0, signal: null }, output);
        assert.ok(!running(setup), "the setup child is not left running on its own");
        assert.doesNotMatch(output, /could not start|"level":"error"/);

        const again = await startPortico({
          backend,
          databaseUrl: database.url,
          env: { FORCE_ROOT_CLIENT_CREDENTIALS: "root:a-root-secret-for-the-stop-test" },
        });
        started.push(again);
        const token = await again.tokenFor("root", "a-root-secret-for-the-stop-test", "hydra.clients");
        assert.ok(token);
      } finally {
        for (const portico of started.splice(0)) await portico.stop();
        await database.drop();
      }
    });
  });
}
