import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { basicAuth } from "@/bench/lib/flow.ts";
import { throwawayPostgresDatabase } from "@/db/postgres-server.ts";
import { type ThrowawayDatabase, throwawaySqliteDatabase } from "@/db/throwaway.ts";
import { loadConfig } from "@/server/config/config.ts";
import { freePorts } from "./ports.ts";

/** An `Authorization: Basic` value for a client (id and secret form-encoded, RFC 6749 §2.3.1). */
export { basicAuth };

export type Backend = "sqlite" | "postgresql";

const postgresUrl = process.env.TEST_POSTGRES_URL;
if (!postgresUrl) {
  if (process.env.CI)
    throw new Error("CI must set TEST_POSTGRES_URL so the store and API tests run on PostgreSQL too");
  process.stderr.write("# TEST_POSTGRES_URL is not set: these tests run on SQLite only\n");
}

/** The backends every store and API test runs against. */
export const BACKENDS: Backend[] = postgresUrl ? ["sqlite", "postgresql"] : ["sqlite"];

/** A fresh, empty database on the backend: a temp SQLite file or a new PostgreSQL database. */
export async function freshDatabase(backend: Backend): Promise<ThrowawayDatabase> {
  if (backend === "sqlite") return throwawaySqliteDatabase("portico-test-");
  if (!postgresUrl) throw new Error("TEST_POSTGRES_URL is not set");
  return throwawayPostgresDatabase(postgresUrl, "portico_test_");
}

export interface Portico {
  url: string;
  /** The process that was started (the primary when WORKERS > 1). */
  pid: number;
  /** The Hydra 2.x admin API's listener (ADMIN_PORT, a free port of its own). */
  adminUrl: string;
  databaseUrl: string;
  root: { id: string; secret: string };
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Settles when the process has exited, with its exit code or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** A client_credentials access token for the given client (Basic authentication). */
  tokenFor(id: string, secret: string, scope?: string): Promise<string>;
  rootToken(scope?: string): Promise<string>;
  /** fetch against the server with an optional bearer token and JSON body. */
  call(
    path: string,
    init?: { method?: string; token?: string; json?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Stops the process, and drops its database unless it was given one (`databaseUrl`). */
  stop(): Promise<void>;
}

export interface StartOptions {
  backend?: Backend;
  env?: Record<string, string>;
  /** Variables to leave unset, so the server runs on their defaults (e.g. AUTH_RATE_LIMIT, which tests turn off). */
  unset?: string[];
  /** Use this database (e.g. to restart on the same data): the caller drops it, stop does not. */
  databaseUrl?: string;
  /**
   * Run the compiled server (`dist/server/main.js`, what `npm start` runs;
   * `npm run build` first) instead of the TypeScript source through tsx.
   */
  compiled?: boolean;
  /**
   * Hydra 2.x mode end to end: the server's flow sends browsers to the app's
   * own pages (URLS_LOGIN, URLS_CONSENT, URLS_LOGOUT) and the app speaks to
   * the admin listener (HYDRA_ADMIN_URL), as `npm run quickstart -- --hydra-v2` does.
   */
  hydraV2?: boolean;
  /** The public port (a free one the test chose, e.g. to name this server in another one's settings first). */
  port?: number;
}

const ROOT = process.cwd();

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Portico exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Portico did not become healthy:\n${output()}`);
}

/** The admin listener binds before the public one; this confirms it answers. */
async function waitForAdmin(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Portico exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${url}/health/alive`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The admin API did not answer:\n${output()}`);
}

/** Starts the server as its own process on a free port and a fresh database. */
export async function startPortico(options: StartOptions = {}): Promise<Portico> {
  const backend = options.backend ?? "sqlite";
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : await freshDatabase(backend);
  // Every server a test starts has its own admin port: the default (3001) would collide.
  const [freePublic, adminPort] = (await freePorts(2)) as [number, number];
  const port = options.port ?? freePublic;
  const url = `http://127.0.0.1:${port}`;
  const root = { id: "root", secret: randomBytes(18).toString("base64url") };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    NODE_ENV: "production",
    DATABASE_URL: database.url,
    PORT: String(port),
    HOST: "127.0.0.1",
    ADMIN_PORT: String(adminPort),
    ADMIN_HOST: "127.0.0.1",
    ISSUER: url,
    SYSTEM_SECRET: "test-system-secret-0123456789",
    FORCE_ROOT_CLIENT_CREDENTIALS: `${root.id}:${root.secret}`,
    BCRYPT_COST: "4",
    // Every test talks from loopback; a test that is about AUTH_RATE_LIMIT sets it itself.
    AUTH_RATE_LIMIT: "0",
    WORKERS: "1",
    LOG_LEVEL: "info",
    ...(options.hydraV2
      ? {
          URLS_LOGIN: `${url}/login`,
          URLS_CONSENT: `${url}/consent`,
          URLS_LOGOUT: `${url}/logout`,
          HYDRA_ADMIN_URL: `http://127.0.0.1:${adminPort}`,
        }
      : {}),
    ...options.env,
  };
  for (const name of options.unset ?? []) delete env[name];
  const entry = options.compiled ? ["dist/server/main.js"] : ["--import", "tsx", "server/main.ts"];
  const child = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  const output = () => log;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await database.drop();
  };
  const adminUrl = `http://127.0.0.1:${options.env?.ADMIN_PORT ?? adminPort}`;
  try {
    await waitForHealth(url, child, output);
    // The app alone (HYDRA_URL another server: server/config/config.ts appAloneAgainst) opens no admin listener.
    if (!loadConfig(env).appAlone) await waitForAdmin(adminUrl, child, output);
  } catch (error) {
    // A start that failed leaves no process and no database behind.
    await stop();
    throw error;
  }

  const tokenFor = async (id: string, secret: string, scope?: string) => {
    const body = new URLSearchParams({ grant_type: "client_credentials" });
    if (scope !== undefined) body.set("scope", scope);
    const response = await fetch(`${url}/oauth2/token`, {
      method: "POST",
      headers: {
        authorization: basicAuth(id, secret),
        "content-type": "application/x-www-form-urlencoded",
      },
      body,
    });
    if (!response.ok) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };

  return {
    url,
    pid: child.pid ?? 0,
    adminUrl,
    databaseUrl: database.url,
    root,
    output,
    exited,
    tokenFor,
    rootToken: (scope?: string) => tokenFor(root.id, root.secret, scope),
    call: (path, init = {}) =>
      fetch(`${url}${path}`, {
        method: init.method ?? (init.json === undefined ? "GET" : "POST"),
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.json !== undefined ? { "content-type": "application/json" } : {}),
          ...init.headers,
        },
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
        redirect: "manual",
      }),
    stop,
  };
}

/** What the server's introspection endpoint says of a token, asked by a client (default: the root client). */
export async function introspect(
  portico: Portico,
  token: string,
  asking: { id: string; secret: string } = portico.root,
): Promise<{ active: boolean; client_id?: string; sub?: string; scope?: string }> {
  const response = await fetch(`${portico.url}/oauth2/introspect`, {
    method: "POST",
    headers: {
      authorization: basicAuth(asking.id, asking.secret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ token }),
  });
  if (!response.ok) throw new Error(`introspection failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { active: boolean; client_id?: string; sub?: string; scope?: string };
}
