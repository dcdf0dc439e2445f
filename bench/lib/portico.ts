import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { basicAuth, type FlowClient } from "./flow.ts";
import { countMatches, launch, type Managed, waitUntil } from "./servers.ts";

/**
 * Extra environment for Portico from BENCH_SERVER_ENV ("NAME=value,NAME=value"),
 * for experiments such as SQLITE_SYNCHRONOUS=FULL.
 */
function serverEnvFromBench(value = process.env.BENCH_SERVER_ENV): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries(
    value
      .split(",")
      .map((pair) => pair.trim())
      .filter((pair) => pair.includes("="))
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}

interface PorticoProcess {
  url: string;
  server: Managed;
  root: { id: string; secret: string };
}

/**
 * Portico's production start (`node dist/server/main.js`, as `npm start`,
 * NODE_ENV=production, BCRYPT_COST=10) with `workers` processes, ready when
 * every worker has said it listens; the server is compiled first. `nodeArgs`
 * go before the script (e.g. `--cpu-prof`).
 */
export async function startPorticoProcess(options: {
  port: number;
  /** The Hydra 2.x admin listener's port; from the same freePorts call as `port`, so the two differ. */
  adminPort: number;
  databaseUrl: string;
  workers: number;
  nodeArgs?: string[];
  env?: Record<string, string>;
}): Promise<PorticoProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const root = { id: "bench-root", secret: randomBytes(24).toString("base64url") };
  // Always from the current source: compiling the server takes a second, and a stale dist/ would
  // measure old code.
  execFileSync(process.execPath, ["scripts/build-server.mjs"], { stdio: "ignore" });
  const server = launch([...(options.nodeArgs ?? []), "dist/server/main.js"], {
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: options.databaseUrl,
    PORT: String(options.port),
    HOST: "127.0.0.1",
    ADMIN_PORT: String(options.adminPort),
    ISSUER: url,
    SYSTEM_SECRET: randomBytes(24).toString("base64url"),
    FORCE_ROOT_CLIENT_CREDENTIALS: `${root.id}:${root.secret}`,
    BCRYPT_COST: "10",
    WORKERS: String(options.workers),
    LOG_LEVEL: "info",
    // The peer has no rate limit on its authorization endpoint; every bench request comes from one address.
    AUTH_RATE_LIMIT: "0",
    ...serverEnvFromBench(),
    ...options.env,
  });
  try {
    await waitUntil(
      "Portico",
      server,
      async () =>
        countMatches(server.output(), "Portico is listening") >= options.workers &&
        (await fetch(`${url}/health`)).ok,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url, server, root };
}

interface PorticoFixtures {
  rootToken: string;
  /** The client_credentials client the token and introspection scenarios authenticate as. */
  client: { id: string; secret: string };
  /** An active access token of `client`, for introspection. */
  introspected: string;
  flowClient: FlowClient;
}

/** Creates the benchmark's clients through the admin API and fetches the tokens it needs. */
export async function porticoFixtures(
  portico: PorticoProcess,
  clientSecret = randomBytes(24).toString("base64url"),
): Promise<PorticoFixtures> {
  const { url, root } = portico;
  const tokenFor = async (id: string, secret: string, scope: string) => {
    const response = await fetch(`${url}/oauth2/token`, {
      method: "POST",
      headers: { authorization: basicAuth(id, secret), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", scope }),
    });
    if (!response.ok) throw new Error(`token for ${id}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const rootToken = await tokenFor(root.id, root.secret, "hydra.clients hydra.consent");
  const createClient = async (client: Record<string, unknown>) => {
    const response = await fetch(`${url}/clients`, {
      method: "POST",
      headers: { authorization: `Bearer ${rootToken}`, "content-type": "application/json" },
      body: JSON.stringify(client),
    });
    if (response.status !== 201)
      throw new Error(`POST /clients: ${response.status} ${await response.text()}`);
  };
  const client = { id: "bench", secret: clientSecret };
  await createClient({
    id: client.id,
    client_name: "bench",
    client_secret: client.secret,
    grant_types: ["client_credentials"],
    response_types: [],
    scope: "read",
  });
  const flowClient: FlowClient = {
    id: "bench-flow",
    secret: randomBytes(24).toString("base64url"),
    redirectUri: "http://127.0.0.1:9/bench/callback",
    scope: "openid",
  };
  await createClient({
    id: flowClient.id,
    client_name: "bench flow",
    client_secret: flowClient.secret,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    redirect_uris: [flowClient.redirectUri],
    scope: flowClient.scope,
  });
  const introspected = await tokenFor(client.id, client.secret, "read");
  return { rootToken, client, introspected, flowClient };
}

/** A person in Portico's user store, through the operators' CLI (`npm run users:create`). */
export async function createPorticoUser(
  databaseUrl: string,
  person: { email: string; password: string },
): Promise<void> {
  const cli = launch(
    // --name=value: a generated password may start with "-", which parseArgs would read as an option.
    [
      "--import",
      "tsx",
      "scripts/users.ts",
      "create",
      `--email=${person.email}`,
      `--password=${person.password}`,
    ],
    { DATABASE_URL: databaseUrl, NODE_ENV: "production" },
  );
  const code = await new Promise<number | null>((resolve) => cli.child.once("exit", resolve));
  if (code !== 0) throw new Error(`users:create failed (exit ${code}): ${cli.output().slice(-500)}`);
}
