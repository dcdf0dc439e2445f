import { createHmac } from "node:crypto";

/**
 * The consent app's own OAuth 2.0 client in embedded mode. Both halves derive
 * its secret from SYSTEM_SECRET, so it is never stored in clear nor passed
 * between them; HYDRA_CLIENT_ID / HYDRA_CLIENT_SECRET override both.
 */
export const EMBEDDED_CONSENT_CLIENT_ID = "portico-consent-app";

export function embeddedConsentClientSecret(systemSecret: string): string {
  return createHmac("sha256", systemSecret).update("portico consent app client secret").digest("base64url");
}
