/**
 * The peer of the benchmark: panva's oidc-provider, configured as Portico is
 * for the measured paths — one confidential client for client_credentials
 * (client_secret_basic), introspection and revocation on, a static RS256 JWKS,
 * the stock in-memory adapter — served by PEER_WORKERS processes through
 * node:cluster exactly as Portico's production start serves WORKERS.
 *
 * For the sign-in flows it also has a confidential authorization-code client,
 * one person, and a small interaction app (./lib/peer-interactions.ts) on the
 * provider's documented interaction API, with the same argon2id parameters as
 * Portico's sign-in; its sessions, interactions, grants and codes live in a
 * store every worker shares (PEER_STORE: SQLite or PostgreSQL,
 * ./lib/peer-store.ts), as Portico's do.
 *
 * The in-memory store is per process, and it is an LRU of 1,000 entries: a
 * token issued by one worker is unknown to the others, and any token falls out
 * after 1,000 newer ones (the client_credentials scenario issues thousands).
 * So that the introspection scenario measures introspection rather than
 * "token not found", every worker saves the same ClientCredentials token
 * (PEER_SEED_TOKEN) at start and keeps it pinned — what one shared store would
 * give. Everything else (client authentication, lookup, validation, the
 * response) runs the provider's own code unchanged.
 *
 * Environment: PEER_PORT, PEER_HOST (127.0.0.1), PEER_WORKERS (1),
 * PEER_ISSUER, PEER_JWK (a private RS256 JWK as JSON), PEER_CLIENT_ID,
 * PEER_CLIENT_SECRET, PEER_SEED_TOKEN; for the flows PEER_STORE, PEER_FLOW_CLIENT
 * (JSON: id, secret, redirectUri, scope) and PEER_USERS (JSON: [{email, id,
 * passwordHash}]).
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
// @ts-expect-error -- oidc-provider ships no type declarations
import Provider from "oidc-provider";
// The stock adapter: the package has no "exports" map, so its file is importable.
// @ts-expect-error -- oidc-provider ships no types for this internal module
import MemoryAdapterModule from "oidc-provider/lib/adapters/memory_adapter.js";
import { interactionApp, type PeerUser } from "./lib/peer-interactions.ts";
import { type Adapter, type AdapterPayload, sharedStore } from "./lib/peer-store.ts";

type AdapterClass = new (model: string) => Adapter;
const MemoryAdapter = MemoryAdapterModule as AdapterClass;

const env = process.env;
const port = Number(env.PEER_PORT ?? 4000);
const host = env.PEER_HOST ?? "127.0.0.1";
const workers = Math.max(1, Number(env.PEER_WORKERS ?? 1));
const issuer = env.PEER_ISSUER ?? `http://${host}:${port}`;
const clientId = env.PEER_CLIENT_ID ?? "bench";
const clientSecret = env.PEER_CLIENT_SECRET ?? "bench-secret-0123456789abcdef";
const seedToken = env.PEER_SEED_TOKEN;
const store = env.PEER_STORE ? sharedStore(env.PEER_STORE) : undefined;
const flowClient = env.PEER_FLOW_CLIENT
  ? (JSON.parse(env.PEER_FLOW_CLIENT) as { id: string; secret: string; redirectUri: string; scope: string })
  : undefined;
const users = env.PEER_USERS ? (JSON.parse(env.PEER_USERS) as PeerUser[]) : [];

/** Tokens every worker holds; evicted entries of the LRU are answered from here. */
const pinned = new Map<string, AdapterPayload>();

/**
 * Client-credentials tokens stay in memory (pinned, above); with PEER_STORE
 * every other model (sessions, interactions, grants, codes, tokens of the
 * flows) goes to the shared store.
 */
class PinnedMemoryAdapter implements Adapter {
  private readonly inner: Adapter;

  constructor(private readonly model: string) {
    this.inner = store && model !== "ClientCredentials" ? store.adapter(model) : new MemoryAdapter(model);
  }

  upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
    return this.inner.upsert(id, payload, expiresIn);
  }

  async find(id: string) {
    return (await this.inner.find(id)) ?? pinned.get(`${this.model}:${id}`);
  }

  findByUid(uid: string) {
    return this.inner.findByUid(uid);
  }

  findByUserCode(code: string) {
    return this.inner.findByUserCode(code);
  }

  consume(id: string) {
    return this.inner.consume(id);
  }

  destroy(id: string) {
    pinned.delete(`${this.model}:${id}`);
    return this.inner.destroy(id);
  }

  revokeByGrantId(grantId: string) {
    return this.inner.revokeByGrantId(grantId);
  }
}

async function serve(): Promise<void> {
  if (!env.PEER_JWK) throw new Error("PEER_JWK is required (a private RS256 JWK as JSON)");
  const jwk = JSON.parse(env.PEER_JWK) as Record<string, unknown>;
  const provider = new Provider(issuer, {
    adapter: PinnedMemoryAdapter,
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: "client_secret_basic",
        scope: "read",
      },
      ...(flowClient
        ? [
            {
              client_id: flowClient.id,
              client_secret: flowClient.secret,
              grant_types: ["authorization_code"],
              redirect_uris: [flowClient.redirectUri],
              response_types: ["code"],
              token_endpoint_auth_method: "client_secret_basic",
              scope: flowClient.scope,
            },
          ]
        : []),
    ],
    scopes: ["openid", "offline_access", "read"],
    findAccount: async (_ctx: unknown, sub: string) =>
      users.some((user) => user.id === sub) ? { accountId: sub, claims: async () => ({ sub }) } : undefined,
    jwks: { keys: [{ ...jwk, alg: "RS256", use: "sig", kid: "public" }] },
    cookies: { keys: ["bench-peer-cookie-key-0123456789abcdef"] },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // The providers' defaults, spelled out so the provider does not warn at start.
      introspection: {
        enabled: true,
        allowedPolicy: async (
          ctx: { oidc: { client: { clientId: string } } },
          client: { clientAuthMethod: string },
          token: { clientId: string },
        ) => !(client.clientAuthMethod === "none" && token.clientId !== ctx.oidc.client.clientId),
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) =>
          token.clientId === client.clientId,
      },
    },
    ttl: {
      AccessToken: 3600,
      ClientCredentials: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 86400,
      Grant: 86400,
    },
  });
  provider.on("server_error", (_ctx: unknown, error: Error) => {
    process.stderr.write(`peer server_error: ${error.stack ?? error.message}\n`);
  });

  if (seedToken) {
    const client = await provider.Client.find(clientId);
    const token = new provider.ClientCredentials({ client, scope: "read", jti: seedToken });
    // generateTokenId() is skipped for a given jti; it is what normally sets the format.
    token.format = "opaque";
    await token.save();
    const stored = await token.adapter.find(seedToken);
    if (stored) pinned.set(`ClientCredentials:${seedToken}`, stored);
  }

  const callback = provider.callback();
  const interactions = users.length > 0 ? interactionApp(provider, users) : undefined;
  const server = createServer((req, res) => {
    if (interactions && req.url?.startsWith("/interaction/")) {
      interactions(req, res).catch((error: unknown) => {
        process.stderr.write(
          `peer interaction error: ${error instanceof Error ? error.stack : String(error)}\n`,
        );
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    callback(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  process.stdout.write(`peer listening on ${issuer} (pid ${process.pid})\n`);
  const stop = () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (cluster.isPrimary && workers > 1) {
  await store?.prepare();
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    setTimeout(() => process.exit(0), 3000).unref();
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} else {
  (cluster.isPrimary ? (store?.prepare() ?? Promise.resolve()) : Promise.resolve())
    .then(serve)
    .catch((error: unknown) => {
      process.stderr.write(`peer could not start: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    });
}
