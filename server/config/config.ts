import { z } from "zod";
import { deriveCookieSecret } from "@/common/cookie-secret.ts";
import { httpUrl, sharedEnvironment } from "@/common/env.ts";
import type { LogLevel } from "@/common/log.ts";
import { parseDuration } from "./duration.ts";

/** Thrown when an environment variable is unusable; the message names the variable. */
export class ConfigError extends Error {}

const duration = (name: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const ms = parseDuration(value ?? "");
      if (value !== undefined && (ms === undefined || ms <= 0)) {
        ctx.addIssue({ code: "custom", message: `${name} must be a duration such as 1h, 30m or 45s` });
        return z.NEVER;
      }
      return ms;
    });

const environment = z.object({
  ...sharedEnvironment,
  PORT: sharedEnvironment.PORT.transform(Number),
  HOST: z.string().optional(),
  ADMIN_PORT: z
    .string()
    .default("3001")
    .refine((value) => /^\d+$/.test(value) && Number(value) < 65536, "ADMIN_PORT must be a port number")
    .transform(Number),
  ADMIN_HOST: z.string().default("127.0.0.1"),
  ISSUER: httpUrl("ISSUER"),
  CONSENT_URL: httpUrl("CONSENT_URL"),
  LOGOUT_URL: httpUrl("LOGOUT_URL"),
  // Hydra 2.x's names: where its login/consent flow sends the browser.
  URLS_LOGIN: httpUrl("URLS_LOGIN"),
  URLS_CONSENT: httpUrl("URLS_CONSENT"),
  // Read by the consent app; checked here too so a bad value stops the start.
  HYDRA_URL: httpUrl("HYDRA_URL"),
  FORCE_ROOT_CLIENT_CREDENTIALS: z
    .string()
    .regex(/^[^:]+:.+$/, "FORCE_ROOT_CLIENT_CREDENTIALS must be id:secret")
    .optional(),
  BCRYPT_COST: z
    .string()
    .default("10")
    .refine(
      (value) => /^\d+$/.test(value) && Number(value) >= 4 && Number(value) <= 31,
      "BCRYPT_COST must be 4–31",
    )
    .transform(Number),
  ACCESS_TOKEN_LIFESPAN: duration("ACCESS_TOKEN_LIFESPAN"),
  ID_TOKEN_LIFESPAN: duration("ID_TOKEN_LIFESPAN"),
  AUTH_CODE_LIFESPAN: duration("AUTH_CODE_LIFESPAN"),
  CHALLENGE_TOKEN_LIFESPAN: duration("CHALLENGE_TOKEN_LIFESPAN"),
  REFRESH_TOKEN_LIFESPAN: duration("REFRESH_TOKEN_LIFESPAN"),
  REFRESH_TOKEN_ROTATION_GRACE_PERIOD: z
    .string()
    .default("0s")
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms < 0 || ms > 5 * 60_000) {
        ctx.addIssue({
          code: "custom",
          message: "REFRESH_TOKEN_ROTATION_GRACE_PERIOD must be a duration from 0s to 5m, such as 10s",
        });
        return z.NEVER;
      }
      return ms;
    }),
  AUTH_RATE_LIMIT: z
    .string()
    .default("100,10")
    .transform((value, ctx) => {
      if (value === "0") return undefined;
      const match = /^(\d{1,6}),(\d{1,6}(?:\.\d{1,3})?)$/.exec(value);
      if (!match || Number(match[1]) < 1 || Number(match[2]) <= 0) {
        ctx.addIssue({
          code: "custom",
          message: "AUTH_RATE_LIMIT must be <burst>,<per second> (e.g. 100,10) or 0 for off",
        });
        return z.NEVER;
      }
      return { burst: Number(match[1]), perSecond: Number(match[2]) };
    }),
  TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|true|false)$/, "TRUST_PROXY must be false, true or a number of proxies (0–99)")
    .default("false")
    .transform((value) => (value === "true" ? 1 : value === "false" ? 0 : Number(value))),
  LOG_LEVEL: z
    .enum(["error", "warn", "info", "debug"], "LOG_LEVEL must be error, warn, info or debug")
    .default("info"),
  WORKERS: z
    .string()
    .optional()
    .refine((value) => value === undefined || /^[1-9]\d*$/.test(value), "WORKERS must be a positive integer")
    .transform((value) => (value === undefined ? undefined : Number(value))),
});

export interface Config {
  databaseUrl: string;
  systemSecret: string;
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
   * Unset: the 2017 flow at consentUrl.
   */
  hydra2Flow: { login: string; consent: string } | undefined;
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
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * Parses the environment once, at start. `systemSecret` is required here; the
 * quickstart supplies a generated one before calling this.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environment.safeParse(defined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(issue?.message ?? "invalid configuration");
  }
  const e = parsed.data;
  if (!e.SYSTEM_SECRET) throw new ConfigError("SYSTEM_SECRET is required (at least 16 characters)");
  if (e.ADMIN_PORT === e.PORT && e.ADMIN_PORT !== 0)
    throw new ConfigError("ADMIN_PORT must differ from PORT (the admin API has its own listener)");
  if ((e.URLS_LOGIN === undefined) !== (e.URLS_CONSENT === undefined))
    throw new ConfigError(
      "URLS_LOGIN and URLS_CONSENT go together: set both for the Hydra 2.x flow, or neither",
    );
  let issuer = e.ISSUER ?? `http://localhost:${e.PORT}`;
  if (issuer.endsWith("/")) issuer = issuer.slice(0, -1);
  const [rootId, ...rootSecret] = e.FORCE_ROOT_CLIENT_CREDENTIALS?.split(":") ?? [];
  return {
    databaseUrl: e.DATABASE_URL,
    systemSecret: e.SYSTEM_SECRET,
    cookieSecret: e.COOKIE_SECRET ?? deriveCookieSecret(e.SYSTEM_SECRET),
    port: e.PORT,
    host: e.HOST,
    adminPort: e.ADMIN_PORT,
    adminHost: e.ADMIN_HOST,
    issuer,
    consentUrl: e.CONSENT_URL ?? `${issuer}/consent`,
    logoutUrl: e.LOGOUT_URL ?? `${issuer}/logout`,
    hydra2Flow: e.URLS_LOGIN && e.URLS_CONSENT ? { login: e.URLS_LOGIN, consent: e.URLS_CONSENT } : undefined,
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
  };
}
