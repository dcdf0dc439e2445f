import { createHmac } from "node:crypto";

/**
 * The cookie-sealing secret when COOKIE_SECRET is unset, derived from
 * SYSTEM_SECRET so that one secret is enough to run.
 */
export function deriveCookieSecret(systemSecret: string): string {
  return createHmac("sha256", systemSecret).update("portico cookie secret").digest("base64url");
}
