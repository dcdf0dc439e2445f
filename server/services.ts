import type { Logger } from "@/common/log.ts";
import type { Database } from "@/db/client.ts";
import { ClientStore } from "./clients/store.ts";
import type { Config } from "./config/config.ts";
import { ConsentRequests } from "./consent/store.ts";
import { Stats } from "./health/stats.ts";
import { createGuard, createPublicGuard } from "./http/guard.ts";
import { TokenBuckets } from "./http/rate-limit.ts";
import { Snapshots } from "./http/snapshot.ts";
import { Hydra2Sessions } from "./hydra2/flow/login-sessions.ts";
import { KeyStore } from "./keys/store.ts";
import { BackchannelLogout } from "./logout/backchannel.ts";
import { LogoutRequests } from "./logout/store.ts";
import { ClientAuthenticator } from "./oauth2/client-auth.ts";
import { PolicyStore } from "./policies/store.ts";
import { LadonWarden } from "./policies/warden.ts";
import { SubjectGrants } from "./subjects/store.ts";
import { AccessTokens } from "./tokens/access-tokens.ts";
import { AuthorizationCodes } from "./tokens/authorization-codes.ts";
import { AuthorizationGrants } from "./tokens/grants.ts";
import { IdTokens } from "./tokens/id-tokens.ts";
import { RefreshTokens } from "./tokens/refresh-tokens.ts";
import { deriveKey } from "./tokens/secrets.ts";

/** Everything a handler may use, built once per process from the configuration. */
export function createServices(config: Config, db: Database, log: Logger) {
  const clients = new ClientStore(db, config.bcryptCost);
  const policies = new PolicyStore(db);
  const warden = new LadonWarden(policies);
  const tokenHashKey = deriveKey(config.systemSecret, "token-hash");
  const accessTokens = new AccessTokens(db, tokenHashKey, config.accessTokenLifespanMs);
  const keys = new KeyStore(
    db,
    deriveKey(config.systemSecret, "jwk-encryption"),
    log,
    config.previousSystemSecrets.map((secret) => deriveKey(secret, "jwk-encryption")),
  );
  const authorizationGrants = new AuthorizationGrants(db);
  const idTokens = new IdTokens(keys, config.issuer, config.idTokenLifespanMs);
  return {
    config,
    db,
    log,
    stats: new Stats(),
    clients,
    policies,
    warden,
    keys,
    accessTokens,
    authorizationCodes: new AuthorizationCodes(db, tokenHashKey, config.authCodeLifespanMs),
    authorizationGrants,
    refreshTokens: new RefreshTokens(
      db,
      tokenHashKey,
      config.refreshTokenLifespanMs,
      config.previousSystemSecrets.map((secret) => deriveKey(secret, "token-hash")),
    ),
    idTokens,
    logoutRequests: new LogoutRequests(db, config.challengeTokenLifespanMs, {
      verifier: deriveKey(config.systemSecret, "logout-verifier"),
      hash: deriveKey(config.systemSecret, "logout-hash"),
    }),
    backchannel: new BackchannelLogout(db, authorizationGrants, clients, idTokens, log),
    subjectGrants: new SubjectGrants(db, config.refreshTokenLifespanMs),
    /** AUTH_RATE_LIMIT: a token bucket per client address at /oauth2/auth and end-session; undefined when off. */
    authRateLimiter: config.authRateLimit
      ? new TokenBuckets(config.authRateLimit.burst, config.authRateLimit.perSecond)
      : undefined,
    hydra2Sessions: new Hydra2Sessions(
      db,
      deriveKey(config.systemSecret, "hydra2-login-session"),
      deriveKey(config.systemSecret, "hydra2-login-session-secret"),
    ),
    consentRequests: new ConsentRequests(
      db,
      `${config.issuer}/oauth2/auth`,
      config.challengeTokenLifespanMs,
      {
        verifier: deriveKey(config.systemSecret, "consent-verifier"),
        hash: deriveKey(config.systemSecret, "consent-hash"),
      },
    ),
    clientAuth: new ClientAuthenticator(
      clients,
      deriveKey(config.systemSecret, "client-auth-cache"),
      config.bcryptCost,
    ),
    snapshots: new Snapshots(
      {
        tokenWithRevisions: (token) => accessTokens.findActiveWithRevisions(token),
        clientRevision: () => clients.revision(),
        policyRevision: () => policies.revision(),
      },
      accessTokens.confirmsClientRevision,
    ),
    guard: createGuard(warden),
    publicGuard: createPublicGuard(warden),
  };
}

export type Services = ReturnType<typeof createServices>;
