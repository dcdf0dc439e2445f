import type { Context } from "hono";
import { clientAddress } from "@/common/client-address.ts";

/**
 * The calling client's address, for throttling: the TCP peer's (server/serve.ts
 * hands it over in a header it overwrites), or behind TRUST_PROXY reverse
 * proxies the one they report. Loopback callers count like any other.
 */
export function callerAddress(
  c: Context,
  services: { config: { trustedProxies: number } },
): string | undefined {
  return clientAddress(c.req.raw.headers, services.config.trustedProxies);
}
