import { verify } from "@node-rs/bcrypt";
import { DEMO_CALLBACK_PATH, DEMO_CLIENT_ID, DEMO_SCOPES, demoClientSecret } from "@/common/demo-client.ts";
import type { Config } from "./config/config.ts";
import { ID_TOKEN_KEY_SET } from "./keys/store.ts";
import type { Services } from "./services.ts";
import { randomToken } from "./tokens/secrets.ts";

const ROOT_SCOPE = "hydra.* openid offline";

/**
 * Whether this server is the one the consent app talks to: HYDRA_URL unset, or leading to ISSUER's
 * origin or this instance's own listener (config.appAlone, whose start never bootstraps at all).
 */
function servesOwnConsentApp(config: Config): boolean {
  return config.appAlone === undefined;
}

/**
 * Makes a client with exactly these credentials exist: creates it, or
 * re-hashes its secret when the configured one no longer verifies.
 */
async function ensureClient(
  services: Services,
  credentials: { id: string; secret: string },
  fields: { client_name: string; scope: string },
): Promise<"created" | "updated" | "kept"> {
  const input = {
    id: credentials.id,
    client_name: fields.client_name,
    client_secret: credentials.secret,
    redirect_uris: [],
    grant_types: ["client_credentials" as const],
    response_types: [],
    scope: fields.scope,
    owner: "",
    policy_uri: "",
    tos_uri: "",
    client_uri: "",
    logo_uri: "",
    contacts: [],
    public: false,
  };
  const existing = await services.clients.get(credentials.id);
  if (!existing) {
    try {
      await services.clients.create(input);
      return "created";
    } catch (error) {
      // Another process starting at the same moment created it first.
      if (await services.clients.get(credentials.id)) return "kept";
      throw error;
    }
  }
  if (existing.secretHash && (await verify(credentials.secret, existing.secretHash).catch(() => false)))
    return "kept";
  await services.clients.update(credentials.id, input);
  return "updated";
}

/**
 * First start on an empty database, and every later start (the README's
 * "Bootstrap"): the root client and its policy, an ID-token signing key, the
 * public-JWKs policy, and the consent app's client with its policies.
 * Idempotent; prints the root secret only when it generated it.
 */
export async function bootstrap(services: Services): Promise<void> {
  const { config, clients, policies, keys, log } = services;

  const forced = config.forceRootClient;
  let root: { id: string; secret: string } | undefined;
  if (forced) {
    await ensureClient(services, forced, { client_name: "Portico root client", scope: ROOT_SCOPE });
    root = forced;
  } else if ((await clients.list(0, 1)).length === 0) {
    root = { id: randomToken(16), secret: randomToken(26) };
    await ensureClient(services, root, { client_name: "Portico root client", scope: ROOT_SCOPE });
    process.stdout.write(
      [
        "",
        "Portico created the root client. Its secret is shown this once; keep it safe:",
        `  client id:     ${root.id}`,
        `  client secret: ${root.secret}`,
        "  (set FORCE_ROOT_CLIENT_CREDENTIALS=id:secret to choose them yourself)",
        "",
      ].join("\n"),
    );
  }
  if (root) {
    await policies.ensure({
      id: `portico-root-${root.id}`,
      description: "The root client may do everything.",
      subjects: [root.id],
      resources: ["rn:hydra:<.*>"],
      actions: ["<.*>"],
      effect: "allow",
      conditions: {},
    });
  }

  await keys.reencryptWithCurrentSecret();
  await keys.ensureIdTokenKeys();
  await policies.ensure({
    id: "portico-public-jwks",
    description: "Anyone may read the public key that verifies ID tokens.",
    subjects: ["<.*>"],
    resources: [`rn:hydra:keys:${ID_TOKEN_KEY_SET}:public`],
    actions: ["get"],
    effect: "allow",
    conditions: {},
  });

  if (servesOwnConsentApp(config)) {
    const consent = config.consentClient;
    await ensureClient(services, consent, {
      client_name: "Portico login & consent app",
      scope: "hydra.consent hydra.clients",
    });
    await policies.ensure({
      id: "portico-consent-app-requests",
      description: "The consent app may read, accept and reject consent requests.",
      subjects: [consent.id],
      resources: ["rn:hydra:oauth2:consent:requests:<.*>"],
      actions: ["get", "accept", "reject"],
      effect: "allow",
      conditions: {},
    });
    await policies.ensure({
      id: "portico-consent-app-logout",
      description:
        "The consent app may read, accept and reject logout requests, and report the sessions it ended.",
      subjects: [consent.id],
      resources: ["rn:hydra:oauth2:logout:requests:<.*>", "rn:hydra:oauth2:auth:sessions:login"],
      actions: ["get", "accept", "reject", "delete"],
      effect: "allow",
      conditions: {},
    });
    await policies.ensure({
      id: "portico-consent-app-subjects",
      description:
        "The consent app may list and revoke what a person granted, and tell the server a person was deleted.",
      subjects: [consent.id],
      resources: ["rn:hydra:oauth2:auth:sessions:consent:<.*>", "rn:hydra:oauth2:auth:subjects:<.*>"],
      actions: ["get", "delete"],
      effect: "allow",
      conditions: {},
    });
    await policies.ensure({
      id: "portico-consent-app-clients",
      description: "The consent app may read clients, to show their name, logo and links.",
      subjects: [consent.id],
      resources: ["rn:hydra:clients:<.*>"],
      actions: ["get"],
      effect: "allow",
      conditions: {},
    });
  }
  if (config.demo) await ensureDemoClient(services);
  log.debug("bootstrap complete");
}

/**
 * Demo data, only with PORTICO_DEMO=1 (set by `npm run quickstart` and the
 * browser tests, never by `npm start`): the demo relying party's client, kept
 * in step with ISSUER, which may change between runs.
 */
async function ensureDemoClient(services: Services): Promise<void> {
  const { issuer, systemSecret } = services.config;
  const input = {
    id: DEMO_CLIENT_ID,
    client_name: "Portico Demo App",
    client_secret: demoClientSecret(systemSecret),
    redirect_uris: [`${issuer}${DEMO_CALLBACK_PATH}`],
    grant_types: ["authorization_code" as const, "refresh_token" as const],
    response_types: ["code" as const],
    scope: DEMO_SCOPES.join(" "),
    owner: "",
    policy_uri: `${issuer}/demo/privacy`,
    tos_uri: `${issuer}/demo/terms`,
    client_uri: `${issuer}/`,
    logo_uri: `${issuer}/demo/logo.svg`,
    contacts: [],
    public: false,
    // Its "Sign out" is RP-initiated logout, which comes back to the demo's page.
    post_logout_redirect_uris: [`${issuer}/`],
  };
  if (await services.clients.get(DEMO_CLIENT_ID)) await services.clients.update(DEMO_CLIENT_ID, input);
  else await services.clients.create(input);
  services.log.info("demo client ready", { client: DEMO_CLIENT_ID, redirect_uri: input.redirect_uris[0] });
}
