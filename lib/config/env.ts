import { createHmac } from "node:crypto";
import { z } from "zod";
import { EMBEDDED_CONSENT_CLIENT_ID, embeddedConsentClientSecret } from "@/common/consent-client.ts";
import { deriveCookieSecret } from "@/common/cookie-secret.ts";
import { DEMO_CLIENT_ID, demoClientSecret, demoEnabled } from "@/common/demo-client.ts";
import { httpUrl, sharedEnvironment } from "@/common/env.ts";
import type { LogLevel } from "@/common/log.ts";
import { brand } from "@/lib/brand/brand.ts";

/** Thrown when an environment variable is unusable; the message names the variable. */
export class ConfigError extends Error {}

export interface AppConfig {
  /** Public base URL, without a trailing slash: every URL the app shows or redirects to starts here. */
  issuer: string;
  /** Cookies are `Secure` (and `__Host-`) when ISSUER is https. */
  secureCookies: boolean;
  /** Origins the browser may be sent to after a decision: ISSUER's and HYDRA_URL's. */
  redirectOrigins: string[];
  hydra: { url: string; clientId: string; clientSecret: string };
  cookieSecret: string;
  databaseUrl: string;
  /** How many reverse proxies in front of Portico may be believed about the client address. */
  trustedProxies: number;
  logLevel: LogLevel;
  /** The demo relying party (PORTICO_DEMO=1), or undefined when it is off. */
  demo: { clientId: string; clientSecret: string; authSecret: string } | undefined;
  /**
   * Outgoing email: the SMTP server (undefined: messages go to the log
   * instead, for the quickstart) and the From address.
   */
  mail: { smtpUrl: string | undefined; from: string };
  /** Whether people may create their own accounts at /signup. */
  signup: "open" | "closed";
}

const url = (name: string) => httpUrl(name).transform((value) => value?.replace(/\/$/, ""));

const environment = z.object({
  ...sharedEnvironment,
  ISSUER: url("ISSUER"),
  HYDRA_URL: url("HYDRA_URL"),
  HYDRA_CLIENT_ID: z.string().max(255).optional(),
  HYDRA_CLIENT_SECRET: z.string().max(255).optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|true|false)$/, "TRUST_PROXY must be false, true or a number of proxies (0–99)")
    .default("false")
    .transform((value) => (value === "true" ? 1 : value === "false" ? 0 : Number(value))),
  LOG_LEVEL: z
    .enum(["error", "warn", "info", "debug"], "LOG_LEVEL must be error, warn, info or debug")
    .default("info"),
  SMTP_URL: z
    .string()
    .refine((value) => URL.canParse(value) && /^smtps?:$/.test(new URL(value).protocol), {
      message: "SMTP_URL must be an smtp:// or smtps:// URL (smtp://user:pass@host:587)",
    })
    .optional(),
  MAIL_FROM: z
    .string()
    .max(320)
    .refine((value) => !/[\r\n]/.test(value) && /@/.test(value), {
      message: 'MAIL_FROM must be an address, optionally with a name: "Portico <no-reply@example.com>"',
    })
    .optional(),
  SIGNUP: z.enum(["open", "closed"], "SIGNUP must be open or closed").default("open"),
});

function required(value: string | undefined, message: string): string {
  if (!value) throw new ConfigError(message);
  return value;
}

/** The database the users and remembered decisions live in (also used by the CLI scripts). */
export function databaseUrlFrom(env: Record<string, string | undefined> = process.env): string {
  const parsed = environment.shape.DATABASE_URL.safeParse(env.DATABASE_URL || undefined);
  if (!parsed.success) throw new ConfigError(parsed.error.issues[0]?.message ?? "invalid DATABASE_URL");
  return parsed.data;
}

/**
 * The consent app's configuration, parsed once from the environment.
 * SYSTEM_SECRET is needed only for what is derived from it: the cookie
 * secret and the embedded consent and demo client secrets.
 */
export function loadAppConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environment.safeParse(defined);
  if (!parsed.success) throw new ConfigError(parsed.error.issues[0]?.message ?? "invalid configuration");
  const e = parsed.data;
  const systemSecret = e.SYSTEM_SECRET;
  const issuer = e.ISSUER ?? `http://localhost:${e.PORT}`;
  const hydraUrl = e.HYDRA_URL ?? issuer;
  const derive = (what: string, from: (secret: string) => string) =>
    from(required(systemSecret, `SYSTEM_SECRET is required (at least 16 characters) to derive ${what}`));

  const demo = demoEnabled(env)
    ? {
        clientId: DEMO_CLIENT_ID,
        clientSecret: derive("the demo client secret", demoClientSecret),
        authSecret: derive("the demo app's session secret", (secret) =>
          createHmac("sha256", secret).update("portico demo next-auth secret").digest("base64url"),
        ),
      }
    : undefined;

  return {
    issuer,
    secureCookies: issuer.startsWith("https:"),
    redirectOrigins: [...new Set([new URL(issuer).origin, new URL(hydraUrl).origin])],
    hydra: {
      url: hydraUrl,
      clientId: e.HYDRA_CLIENT_ID ?? EMBEDDED_CONSENT_CLIENT_ID,
      clientSecret: e.HYDRA_CLIENT_SECRET ?? derive("HYDRA_CLIENT_SECRET", embeddedConsentClientSecret),
    },
    cookieSecret: e.COOKIE_SECRET ?? derive("COOKIE_SECRET", deriveCookieSecret),
    databaseUrl: e.DATABASE_URL,
    trustedProxies: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    demo,
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM ?? `"${brand.name}" <no-reply@${new URL(issuer).hostname}>`,
    },
    signup: e.SIGNUP,
  };
}
