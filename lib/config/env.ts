import { createHmac } from "node:crypto";
import { isIPv4 } from "node:net";
import { ConfigError, type Environment, issuerOf, parseEnvironment } from "@/common/config.ts";
import { EMBEDDED_CONSENT_CLIENT_ID, embeddedConsentClientSecret } from "@/common/consent-client.ts";
import { deriveCookieSecret } from "@/common/cookie-secret.ts";
import { DEMO_CLIENT_ID, demoClientSecret } from "@/common/demo-client.ts";
import type { LogLevel } from "@/common/log.ts";
import { ownListener } from "@/common/own-listener.ts";
import { brand } from "@/lib/brand/brand.ts";

export { ConfigError };

export interface AppConfig {
  /** Public base URL, without a trailing slash: every URL the app shows or redirects to starts here. */
  issuer: string;
  /** Cookies are `Secure` (and `__Host-`) when ISSUER is https. */
  secureCookies: boolean;
  /**
   * Origins the browser may be sent to after a decision: ISSUER's and HYDRA_URL's (never the
   * embedded server's own listener, which is no address for a browser).
   */
  redirectOrigins: string[];
  /**
   * The server the app talks to and its client. `url` is HYDRA_URL when it is set; else the
   * embedded server: in the process that serves, its own listener (common/own-listener.ts, set by
   * the server once it listens), never ISSUER, which behind a reverse proxy the server may be
   * unable to reach; in any other process (the operators' CLI, scripts) ISSUER.
   */
  hydra: { url: string; clientId: string; clientSecret: string };
  /** The time limit of one call to the API (HYDRA_TIMEOUT), its token included, in milliseconds. */
  hydraTimeoutMs: number;
  /**
   * Ory Hydra 2.x's admin API (HYDRA_ADMIN_URL), or undefined. Set, the pages
   * answer Hydra 2.x's challenges (`login_challenge`, `consent_challenge`,
   * `logout_challenge`) through it, beside the 2017 API's `?consent=`.
   */
  hydraAdminUrl: string | undefined;
  cookieSecret: string;
  /**
   * Secrets that sealed cookies before (COOKIE_SECRET_PREVIOUS, and those derived from
   * SYSTEM_SECRET_PREVIOUS when COOKIE_SECRET is unset): a cookie sealed with one still opens, and
   * is sealed again with `cookieSecret`. Empty when no rotation is under way.
   */
  previousCookieSecrets: string[];
  databaseUrl: string;
  /** SQLite's `synchronous` (see the README's Speed section). */
  sqliteSynchronous: "NORMAL" | "FULL";
  /** How many reverse proxies in front of Portico may be believed about the client address. */
  trustedProxies: number;
  logLevel: LogLevel;
  /** The demo relying party (PORTICO_DEMO=1), or undefined when it is off. */
  demo: { clientId: string; clientSecret: string; authSecret: string } | undefined;
  /**
   * Outgoing email: the SMTP server (undefined: messages go to the log
   * instead — SMTP_URL=log, or unset under an http ISSUER, as for the
   * quickstart), the From address and the EHLO name (undefined: nodemailer's own).
   */
  mail: { smtpUrl: string | undefined; from: string; timeoutMs: number; ehloName: string | undefined };
  /** Whether people may create their own accounts at /signup. */
  signup: "open" | "closed";
}

function required(value: string | undefined, message: string): string {
  if (!value) throw new ConfigError(message);
  return value;
}

/** The database the users and remembered decisions live in (also used by the CLI scripts). */
export function databaseUrlFrom(env?: Environment): string {
  return parseEnvironment(env).DATABASE_URL;
}

/**
 * The consent app's view of the configuration (common/config.ts parses it).
 * SYSTEM_SECRET is needed only for what is derived from it: the cookie
 * secret and the embedded consent and demo client secrets.
 */
export function loadAppConfig(env?: Environment): AppConfig {
  const e = parseEnvironment(env);
  const systemSecret = e.SYSTEM_SECRET;
  const issuer = issuerOf(e);
  const hydraUrl = e.HYDRA_URL ?? issuer;
  const derive = (what: string, from: (secret: string) => string) =>
    from(required(systemSecret, `SYSTEM_SECRET is required (at least 16 characters) to derive ${what}`));

  const demo = e.PORTICO_DEMO
    ? {
        clientId: DEMO_CLIENT_ID,
        clientSecret: derive("the demo client secret", demoClientSecret),
        authSecret: derive("the demo app's session secret", (secret) =>
          createHmac("sha256", secret).update("portico demo next-auth secret").digest("base64url"),
        ),
      }
    : undefined;

  const cookieSecret = e.COOKIE_SECRET ?? derive("COOKIE_SECRET", deriveCookieSecret);
  return {
    issuer,
    secureCookies: issuer.startsWith("https:"),
    redirectOrigins: [...new Set([new URL(issuer).origin, new URL(hydraUrl).origin])],
    hydra: {
      // Read when asked, not when parsed: the configuration may be read before the server in this
      // process has said where it listens.
      get url() {
        return e.HYDRA_URL ?? ownListener() ?? issuer;
      },
      clientId: e.HYDRA_CLIENT_ID ?? EMBEDDED_CONSENT_CLIENT_ID,
      clientSecret:
        e.HYDRA_CLIENT_SECRET ??
        // Against an Ory Hydra 2.x alone there is no 2017 API to sign in to, so no secret to derive.
        (e.HYDRA_ADMIN_URL && !systemSecret
          ? ""
          : derive("HYDRA_CLIENT_SECRET", embeddedConsentClientSecret)),
    },
    hydraTimeoutMs: e.HYDRA_TIMEOUT,
    hydraAdminUrl: e.HYDRA_ADMIN_URL,
    cookieSecret,
    previousCookieSecrets: [
      ...new Set([
        ...e.COOKIE_SECRET_PREVIOUS,
        ...(e.COOKIE_SECRET === undefined ? e.SYSTEM_SECRET_PREVIOUS.map(deriveCookieSecret) : []),
      ]),
    ].filter((secret) => secret !== cookieSecret),
    databaseUrl: e.DATABASE_URL,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    trustedProxies: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    demo,
    mail: {
      smtpUrl: e.mailServer,
      timeoutMs: e.SMTP_TIMEOUT,
      from: e.MAIL_FROM ?? `"${brand.name}" <no-reply@${mailDomain(issuer)}>`,
      ehloName: ehloName(issuer),
    },
    signup: e.SIGNUP,
  };
}

/**
 * ISSUER's host as the domain of an email address: a name as it is (without
 * the trailing dot of a fully qualified `auth.example.com.`, which no address
 * may end in), an IP address as an address literal (RFC 5321 4.1.3:
 * `[127.0.0.1]`, `[IPv6:::1]`), since `no-reply@127.0.0.1` is no valid address.
 */
export function mailDomain(issuer: string): string {
  const host = new URL(issuer).hostname.replace(/\.$/, "");
  if (host.startsWith("[")) return `[IPv6:${host.slice(1, -1)}]`;
  return isIPv4(host) ? `[${host}]` : host;
}

/**
 * The name Portico greets the mail server with (EHLO/HELO) when SMTP_URL has
 * no `?name=`: ISSUER's host when it is a DNS name with a dot (not an IP
 * address, not localhost or a `.localhost` name); otherwise undefined, and
 * nodemailer's own choice stands (the machine's hostname if it has a dot,
 * else `[127.0.0.1]`, which some servers refuse).
 */
export function ehloName(issuer: string): string | undefined {
  const host = new URL(issuer).hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") || isIPv4(host) || !host.includes(".")) return undefined;
  if (host === "localhost" || host.endsWith(".localhost")) return undefined;
  return host;
}
