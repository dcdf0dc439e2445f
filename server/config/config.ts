import { ConfigError, type Environment, issuerOf, parseEnvironment, type Settings } from "@/common/config.ts";
import { EMBEDDED_CONSENT_CLIENT_ID, embeddedConsentClientSecret } from "@/common/consent-client.ts";
import { deriveCookieSecret } from "@/common/cookie-secret.ts";
import type { LogLevel } from "@/common/log.ts";

export { ConfigError };

export interface Config {
  databaseUrl: string;
  systemSecret: string;
  /**
   * SYSTEM_SECRET_PREVIOUS: secrets that were SYSTEM_SECRET before. Only read
   * with: keys encrypted under one are decrypted and re-encrypted under
   * SYSTEM_SECRET at start. Empty when unset.
   */
  previousSystemSecrets: string[];
  cookieSecret: string;
  port: number;
  host: string | undefined;
  /**
   * Where the Hydra 2.x admin API listens. It is unauthenticated, as Hydra's
   * admin port is, so it must never be reachable from the internet.
   */
  adminPort: number;
  adminHost: string;
  /** Public base URL, without a trailing slash; the `iss` of every token. */
  issuer: string;
  consentUrl: string;
  /** Where the end-session endpoint sends the browser to confirm a sign-out (`?logout=<id>`). */
  logoutUrl: string;
  /**
   * Set (URLS_LOGIN and URLS_CONSENT): /oauth2/auth runs Hydra 2.x's flow,
   * a login step at `login` (?login_challenge=…) then a consent step at
   * `consent` (?consent_challenge=…), answered through the admin API.
   * Unset: the 2017 flow at consentUrl. With it, the end-session endpoint
   * sends the browser to `logout` (?logout_challenge=…) and, once signed
   * out, to the client's post-logout URI or else `postLogoutRedirect`.
   */
  hydra2Flow: { login: string; consent: string; logout: string; postLogoutRedirect: string } | undefined;
  /**
   * URLS_ERROR: where an error that cannot go to a client's redirect URI
   * sends the browser (`?error=…&error_description=…`); unset, this server's
   * own error page.
   */
  errorUrl: string | undefined;
  forceRootClient: { id: string; secret: string } | undefined;
  bcryptCost: number;
  accessTokenLifespanMs: number;
  idTokenLifespanMs: number;
  authCodeLifespanMs: number;
  challengeTokenLifespanMs: number;
  /** How long each refresh token lives (as in Hydra): an app that does not refresh for this long loses offline access. */
  refreshTokenLifespanMs: number;
  /** A rotated refresh token presented again within this gets a sibling instead of revoking the grant. */
  refreshTokenRotationGracePeriodMs: number;
  /** Token bucket per client address at /oauth2/auth; undefined: off. */
  authRateLimit: { burst: number; perSecond: number } | undefined;
  /** How many reverse proxies may be believed about the client address (X-Forwarded-For). */
  trustedProxies: number;
  logLevel: LogLevel;
  workers: number | undefined;
  /** SQLite's `synchronous`: NORMAL (a power loss may lose the last commits) or FULL. */
  sqliteSynchronous: "NORMAL" | "FULL";
  /** How long a stop lets the requests in flight finish (SHUTDOWN_TIMEOUT), in milliseconds. */
  shutdownTimeoutMs: number;
  /** The server the consent app talks to, without a trailing slash. */
  hydraUrl: string;
  /**
   * The origin of the authorization server when the consent app works against
   * another one (appAloneAgainst): then this process serves the pages only —
   * no bootstrap, no API, no OAuth 2.0 / OpenID Connect endpoints, no admin
   * listener, no server housekeeping. Undefined: the embedded server runs.
   */
  appAlone: string | undefined;
  /** The consent app's own client: HYDRA_CLIENT_ID/SECRET, or the embedded one. */
  consentClient: { id: string; secret: string };
  /** Whether the demo relying party's client is registered (PORTICO_DEMO=1). */
  demo: boolean;
  /**
   * SIGNUP: whether the pages take sign-ups, so whether the 2017 flow honours
   * prompt=create (discovery lists it only then).
   */
  signupOpen: boolean;
}

const HOUR = 3_600_000;

/** Names a listener bound to every interface (or to loopback) answers to from this machine. */
const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/**
 * Whether a URL leads to one of this process's own listeners: plain http, the
 * listener's port, and its host (HOST / ADMIN_HOST as set; a loopback name
 * when it listens on every interface or on loopback). A random port (0) is
 * never anyone's URL.
 */
function isOwnListener(url: URL, port: number, host: string | undefined): boolean {
  if (url.protocol !== "http:" || port === 0 || Number(url.port || 80) !== port) return false;
  const names =
    host === undefined || host === "0.0.0.0" || host === "::" || LOOPBACK_NAMES.includes(host)
      ? LOOPBACK_NAMES
      : [host.includes(":") ? `[${host}]` : host];
  return names.includes(url.hostname.toLowerCase());
}

/**
 * The "app alone" rule: the consent app's server is another one when
 * HYDRA_URL is set and leads neither to ISSUER's origin nor to this
 * process's public listener, and HYDRA_ADMIN_URL (the Hydra 2.x face), when
 * set, leads neither there nor to this process's admin listener. Then this
 * Portico needs no authorization server of its own, and runs none: the
 * answer is that server's origin. Undefined: the embedded server runs (with
 * HYDRA_URL unset, or pointed at this instance).
 */
export function appAloneAgainst(
  e: Pick<Settings, "HYDRA_URL" | "HYDRA_ADMIN_URL" | "PORT" | "HOST" | "ADMIN_PORT" | "ADMIN_HOST">,
  issuer: string,
): string | undefined {
  if (!e.HYDRA_URL) return undefined;
  const issuerOrigin = new URL(issuer).origin;
  const hydra = new URL(e.HYDRA_URL);
  if (hydra.origin === issuerOrigin || isOwnListener(hydra, e.PORT, e.HOST)) return undefined;
  if (e.HYDRA_ADMIN_URL) {
    const admin = new URL(e.HYDRA_ADMIN_URL);
    if (admin.origin === issuerOrigin) return undefined;
    if (isOwnListener(admin, e.ADMIN_PORT, e.ADMIN_HOST) || isOwnListener(admin, e.PORT, e.HOST))
      return undefined;
  }
  return hydra.origin;
}
const MINUTE = 60_000;

/**
 * The server's view of the configuration (common/config.ts parses it once,
 * at start). `systemSecret` is required here; the quickstart supplies a
 * generated one before calling this.
 */
export function loadConfig(env?: Environment): Config {
  const e = parseEnvironment(env);
  if (!e.SYSTEM_SECRET) throw new ConfigError("SYSTEM_SECRET is required (at least 16 characters)");
  if (e.ADMIN_PORT === e.PORT && e.ADMIN_PORT !== 0)
    throw new ConfigError("ADMIN_PORT must differ from PORT (the admin API has its own listener)");
  if ((e.URLS_LOGIN === undefined) !== (e.URLS_CONSENT === undefined))
    throw new ConfigError(
      "URLS_LOGIN and URLS_CONSENT go together: set both for the Hydra 2.x flow, or neither",
    );
  const issuer = issuerOf(e);
  const [rootId, ...rootSecret] = e.FORCE_ROOT_CLIENT_CREDENTIALS?.split(":") ?? [];
  return {
    databaseUrl: e.DATABASE_URL,
    systemSecret: e.SYSTEM_SECRET,
    previousSystemSecrets: e.SYSTEM_SECRET_PREVIOUS,
    cookieSecret: e.COOKIE_SECRET ?? deriveCookieSecret(e.SYSTEM_SECRET),
    port: e.PORT,
    host: e.HOST,
    adminPort: e.ADMIN_PORT,
    adminHost: e.ADMIN_HOST,
    issuer,
    consentUrl: e.CONSENT_URL ?? `${issuer}/consent`,
    logoutUrl: e.LOGOUT_URL ?? `${issuer}/logout`,
    hydra2Flow:
      e.URLS_LOGIN && e.URLS_CONSENT
        ? {
            login: e.URLS_LOGIN,
            consent: e.URLS_CONSENT,
            logout: e.URLS_LOGOUT ?? e.LOGOUT_URL ?? `${issuer}/logout`,
            postLogoutRedirect: e.URLS_POST_LOGOUT_REDIRECT ?? `${issuer}/logout/done`,
          }
        : undefined,
    errorUrl: e.URLS_ERROR,
    forceRootClient: rootId ? { id: rootId, secret: rootSecret.join(":") } : undefined,
    bcryptCost: e.BCRYPT_COST,
    accessTokenLifespanMs: e.ACCESS_TOKEN_LIFESPAN ?? HOUR,
    idTokenLifespanMs: e.ID_TOKEN_LIFESPAN ?? HOUR,
    authCodeLifespanMs: e.AUTH_CODE_LIFESPAN ?? 10 * MINUTE,
    challengeTokenLifespanMs: e.CHALLENGE_TOKEN_LIFESPAN ?? 10 * MINUTE,
    // Offline access must end some time: 30 days, as later Hydra versions default to.
    refreshTokenLifespanMs: e.REFRESH_TOKEN_LIFESPAN ?? 720 * HOUR,
    refreshTokenRotationGracePeriodMs: e.REFRESH_TOKEN_ROTATION_GRACE_PERIOD,
    authRateLimit: e.AUTH_RATE_LIMIT,
    trustedProxies: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    workers: e.WORKERS,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
    hydraUrl: e.HYDRA_URL ?? issuer,
    appAlone: appAloneAgainst(e, issuer),
    consentClient: {
      id: e.HYDRA_CLIENT_ID ?? EMBEDDED_CONSENT_CLIENT_ID,
      secret: e.HYDRA_CLIENT_SECRET ?? embeddedConsentClientSecret(e.SYSTEM_SECRET),
    },
    demo: e.PORTICO_DEMO,
    signupOpen: e.SIGNUP === "open",
  };
}
