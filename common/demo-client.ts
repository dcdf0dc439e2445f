import { createHmac } from "node:crypto";

/**
 * The demo relying party's OAuth 2.0 client, registered only when
 * PORTICO_DEMO=1 (the quickstart and the browser tests). Both halves derive
 * its secret from SYSTEM_SECRET, so it is never stored in clear.
 */
export const DEMO_CLIENT_ID = "portico-demo";

/** next-auth's callback for the provider id "portico", relative to ISSUER. */
export const DEMO_CALLBACK_PATH = "/api/auth/callback/portico";

export const DEMO_SCOPES = ["openid", "offline", "profile", "email"] as const;

export function demoClientSecret(systemSecret: string): string {
  return createHmac("sha256", systemSecret).update("portico demo client secret").digest("base64url");
}
