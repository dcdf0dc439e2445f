import addressparser from "nodemailer/lib/addressparser/index.js";
import { z } from "zod";
import { parseDuration } from "@/common/duration.ts";
import { LOG_LEVELS } from "@/common/log.ts";
import { postgresUrlProblem } from "@/db/postgres-url.ts";

/**
 * Every environment variable Portico reads, for both halves, parsed in one
 * place: the server's configuration (server/config/config.ts) and the
 * consent app's (lib/config/env.ts) are views of this one parse, so a value
 * one half accepts the other never refuses. Nothing else reads process.env.
 * A new variable goes into `variables` below, then into the view that uses it.
 */

/** Thrown when an environment variable is unusable; the message names the variable. */
export class ConfigError extends Error {}

export type Environment = Record<string, string | undefined>;

/** SMTP_URL's value for no mail server: every message, with its link, is written to the log. */
const MAIL_TO_LOG = "log";

const port = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((value) => /^\d+$/.test(value) && Number(value) < 65536, `${name} must be a port number`)
    .transform(Number);

/**
 * An optional absolute http(s) URL, used as given; never with a user name or
 * password in it: fetch refuses such a URL with an error that repeats it
 * (password and all) into the log, and a redirect would hand it to every
 * browser. The message never repeats the value.
 */
const httpUrl = (name: string) =>
  z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      message: `${name} must be an absolute http(s) URL`,
      abort: true,
    })
    .refine((value) => new URL(value).username === "" && new URL(value).password === "", {
      message: `${name} must not hold a user name or password (user:password@host)`,
    })
    .optional();

/** An optional base URL (ISSUER, HYDRA_URL): an absolute http(s) URL, without its trailing slash. */
const baseUrl = (name: string) => httpUrl(name).transform((value) => value && withoutTrailingSlash(value));

/**
 * The longest a token, code or request may live: 1000 years (of 365 days).
 * Every expiry is stored, and both backends must be able to hold it: on
 * PostgreSQL a time past the year 9999 could not be written (ISO 8601's
 * "+010000-…" is no timestamp PostgreSQL reads, so every token request was a
 * 500 there) while SQLite stored it, so "never expires" spelt as 100000000h
 * worked on one backend only.
 */
export const MAX_LIFESPAN = "8760000h";

/** A Go-style duration (1h, 30m, 45s) from 1s to MAX_LIFESPAN, in milliseconds of whole seconds. */
const duration = (name: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const ms = parseDuration(value ?? "");
      if (value === undefined) return undefined;
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: "custom", message: `${name} must be a duration such as 1h, 30m or 45s` });
        return z.NEVER;
      }
      // Expiries reach clients in whole seconds (expires_in, exp, a cookie's Max-Age): under a second,
      // tokens went out already expired (expires_in 0, an ID token's exp equal to its iat).
      if (ms < 1000) {
        ctx.addIssue({ code: "custom", message: `${name} must be at least 1s` });
        return z.NEVER;
      }
      if (ms > (parseDuration(MAX_LIFESPAN) as number)) {
        ctx.addIssue({ code: "custom", message: `${name} must be at most ${MAX_LIFESPAN} (1000 years)` });
        return z.NEVER;
      }
      // Counted in whole seconds (a fraction is dropped), as every expiry is told.
      return Math.floor(ms / 1000) * 1000;
    });

/** A Go-style duration from 100ms to `max` (a time limit), in milliseconds; `fallback` when unset. */
const timeLimit = (name: string, fallback: string, max: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms < 100 || ms > (parseDuration(max) as number)) {
        ctx.addIssue({
          code: "custom",
          message: `${name} must be a duration from 100ms to ${max}, such as 5s`,
        });
        return z.NEVER;
      }
      return ms;
    });

/**
 * A comma-separated list of secrets that were current before (newest first
 * by convention; the order does not matter). Each must be as long as the
 * current one must be; a message never repeats a secret.
 */
const secretList = (name: string, min: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const list = (value ?? "")
        .split(",")
        .map((secret) => secret.trim())
        .filter((secret) => secret !== "");
      list.forEach((secret, index) => {
        if (secret.length < min)
          ctx.addIssue({
            code: "custom",
            message: `${name}: secret number ${index + 1} must be at least ${min} characters`,
          });
      });
      return list;
    });

const variables = z.object({
  DATABASE_URL: z
    .string()
    .default("file:./data/portico.db")
    .refine(
      (value) => value.startsWith("file:") || /^postgres(ql)?:\/\//.test(value),
      "DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL)",
    )
    .refine((value) => value.startsWith("file:") || isPostgresUrl(value), {
      message:
        "DATABASE_URL must be a URL such as postgresql://user:password@host:5432/database (percent-encode special characters)",
      abort: true,
    })
    .superRefine((value, context) => {
      const problem = value.startsWith("file:") ? undefined : postgresUrlProblem(value);
      if (problem) context.addIssue({ code: "custom", message: problem });
    }),
  SQLITE_SYNCHRONOUS: z
    .enum(["NORMAL", "FULL"], "SQLITE_SYNCHRONOUS must be NORMAL or FULL")
    .default("NORMAL"),
  SYSTEM_SECRET: z.string().min(16, "SYSTEM_SECRET must be at least 16 characters").optional(),
  COOKIE_SECRET: z.string().min(32, "COOKIE_SECRET must be at least 32 characters").optional(),
  // Rotation, as Hydra's SECRETS_SYSTEM list: secrets that were current before, only ever read with.
  SYSTEM_SECRET_PREVIOUS: secretList("SYSTEM_SECRET_PREVIOUS", 16),
  COOKIE_SECRET_PREVIOUS: secretList("COOKIE_SECRET_PREVIOUS", 32),
  PORT: port("PORT", "3000"),
  HOST: z.string().optional(),
  ADMIN_PORT: port("ADMIN_PORT", "3001"),
  ADMIN_HOST: z.string().default("127.0.0.1"),
  ISSUER: baseUrl("ISSUER"),
  CONSENT_URL: httpUrl("CONSENT_URL"),
  LOGOUT_URL: httpUrl("LOGOUT_URL"),
  // Hydra 2.x's names: where its login/consent flow sends the browser.
  URLS_LOGIN: httpUrl("URLS_LOGIN"),
  URLS_CONSENT: httpUrl("URLS_CONSENT"),
  URLS_LOGOUT: httpUrl("URLS_LOGOUT"),
  URLS_POST_LOGOUT_REDIRECT: httpUrl("URLS_POST_LOGOUT_REDIRECT"),
  URLS_ERROR: httpUrl("URLS_ERROR"),
  HYDRA_URL: baseUrl("HYDRA_URL"),
  // Ory Hydra 2.x's admin API (the name Ory's reference app uses): set, the app speaks Hydra 2.x.
  HYDRA_ADMIN_URL: baseUrl("HYDRA_ADMIN_URL"),
  HYDRA_CLIENT_ID: z.string().max(255, "HYDRA_CLIENT_ID must be at most 255 characters").optional(),
  HYDRA_CLIENT_SECRET: z.string().max(255, "HYDRA_CLIENT_SECRET must be at most 255 characters").optional(),
  // How long the consent app waits for one call to HYDRA_URL or HYDRA_ADMIN_URL (its token included).
  HYDRA_TIMEOUT: timeLimit("HYDRA_TIMEOUT", "5s", "60s"),
  // Held to what the API takes of a client (a printable-ASCII id, a secret of 16 characters to 72 bytes):
  // the root client may do everything, and its policy names its id.
  FORCE_ROOT_CLIENT_CREDENTIALS: z
    .string()
    .regex(/^[^:]+:.+$/, "FORCE_ROOT_CLIENT_CREDENTIALS must be id:secret")
    .refine((value) => /^[\x20-\x39\x3b-\x7e]{1,255}:/.test(value), {
      message: "FORCE_ROOT_CLIENT_CREDENTIALS: the id must be 1–255 printable ASCII characters",
      abort: true,
    })
    .refine((value) => {
      const secret = value.slice(value.indexOf(":") + 1);
      return secret.length >= 16 && Buffer.byteLength(secret, "utf8") <= 72;
    }, "FORCE_ROOT_CLIENT_CREDENTIALS: the secret must be 16 characters to 72 bytes (UTF-8)")
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
  LOG_LEVEL: z.enum(LOG_LEVELS, `LOG_LEVEL must be ${LOG_LEVELS.join(", ")}`).default("info"),
  WORKERS: z
    .string()
    .optional()
    .refine((value) => value === undefined || /^[1-9]\d*$/.test(value), "WORKERS must be a positive integer")
    .transform((value) => (value === undefined ? undefined : Number(value))),
  TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|true|false)$/, "TRUST_PROXY must be false, true or a number of proxies (0–99)")
    .default("false")
    .transform((value) => (value === "true" ? 1 : value === "false" ? 0 : Number(value))),
  // `log`: no mail server, each message (and its link) goes to the log; what unset means under an http ISSUER.
  SMTP_URL: z
    .string()
    .refine((value) => value === MAIL_TO_LOG || isSmtpUrl(value), {
      message:
        "SMTP_URL must be an smtp:// or smtps:// URL with a host (smtp://user:pass@host:587; a user name or password with @ : / ? # or % in it percent-encoded, %40 for @), or log",
    })
    .optional(),
  // The most one email may take, from connecting to the server's last answer.
  SMTP_TIMEOUT: timeLimit("SMTP_TIMEOUT", "30s", "5m"),
  // How long a stop (SIGTERM, SIGINT) lets the requests in flight finish before the process exits anyway.
  SHUTDOWN_TIMEOUT: timeLimit("SHUTDOWN_TIMEOUT", "5s", "5m"),
  MAIL_FROM: z
    .string()
    .max(320, "MAIL_FROM must be at most 320 characters")
    .refine((value) => !/[\r\n]/.test(value) && isOneAddress(value), {
      message:
        'MAIL_FROM must be one address, optionally with a name: Portico <no-reply@example.com>, or "Acme, Inc." <no-reply@example.com> for a name with a comma in it',
    })
    .optional(),
  SIGNUP: z.enum(["open", "closed"], "SIGNUP must be open or closed").default("open"),
  // The demo relying party: only the quickstart and the browser tests set it.
  PORTICO_DEMO: z
    .string()
    .optional()
    .transform((value) => value === "1"),
});

/**
 * What no single variable can say: the two listeners need ports of their own;
 * and a public (https) ISSUER sends its email for real unless the operator
 * chose otherwise, since without a mail server every message — password-reset
 * links included — is written to the log, where a link is a secret in plain sight.
 */
const settings = variables
  .refine(
    (parsed) =>
      parsed.SYSTEM_SECRET === undefined || !parsed.SYSTEM_SECRET_PREVIOUS.includes(parsed.SYSTEM_SECRET),
    { message: "SYSTEM_SECRET_PREVIOUS must not hold the current SYSTEM_SECRET" },
  )
  .refine(
    (parsed) =>
      parsed.COOKIE_SECRET === undefined || !parsed.COOKIE_SECRET_PREVIOUS.includes(parsed.COOKIE_SECRET),
    { message: "COOKIE_SECRET_PREVIOUS must not hold the current COOKIE_SECRET" },
  )
  .refine((parsed) => parsed.PORT !== parsed.ADMIN_PORT, {
    message: "ADMIN_PORT must differ from PORT: the admin API has a listener of its own",
  })
  .refine((parsed) => parsed.SMTP_URL !== undefined || !parsed.ISSUER?.startsWith("https:"), {
    message:
      "SMTP_URL is required when ISSUER is https: without a mail server every email, password-reset links included, is written to the log. Set SMTP_URL=log to choose that",
  })
  // What the rest of Portico reads: the mail server, or none (SMTP_URL=log, or unset).
  .transform((parsed) => ({
    ...parsed,
    mailServer: parsed.SMTP_URL === MAIL_TO_LOG ? undefined : parsed.SMTP_URL,
  }));

export type Settings = z.output<typeof settings>;

/** A PostgreSQL URL the driver can take apart: a host, and user, password and database percent-encoded correctly. */
function isPostgresUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  try {
    for (const part of [url.username, url.password, url.pathname]) decodeURIComponent(part);
  } catch {
    return false;
  }
  return url.hostname !== "";
}

/**
 * One mailbox, as mail headers read it: a name with a comma unquoted
 * (`Acme, Inc. <no-reply@…>`) is two, and the message went out "From: Inc."
 */
function isOneAddress(value: string): boolean {
  const parsed = addressparser(value);
  const [only] = parsed;
  return (
    parsed.length === 1 && only !== undefined && "address" in only && /^[^@\s]+@[^@\s]+$/.test(only.address)
  );
}

/** An SMTP URL whose user name and password percent-decode (the mailer decodes them for the server). */
function isSmtpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  try {
    for (const part of [url.username, url.password]) decodeURIComponent(part);
  } catch {
    return false;
  }
  return /^smtps?:$/.test(url.protocol) && url.hostname !== "";
}

function withoutTrailingSlash(url: string): string {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}

/** The issuer rule: ISSUER without its trailing slash, else http://localhost:$PORT. */
export function issuerOf(settings: Pick<Settings, "ISSUER" | "PORT">): string {
  return settings.ISSUER ?? `http://localhost:${settings.PORT}`;
}

/**
 * Parses the environment (default: this process's). An empty value counts as
 * unset. Throws ConfigError naming the first unusable variable.
 */
export function parseEnvironment(env: Environment = process.env): Settings {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = settings.safeParse(defined);
  if (!parsed.success) throw new ConfigError(parsed.error.issues[0]?.message ?? "invalid configuration");
  return parsed.data;
}
