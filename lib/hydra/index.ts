import "server-only";
import { appConfig } from "@/lib/config/index.ts";
import { HydraAdminClient } from "./admin.ts";
import { HydraClient } from "./client.ts";

const holder = globalThis as typeof globalThis & {
  porticoHydra?: HydraClient;
  porticoHydraAdmin?: HydraAdminClient;
};

/**
 * Node's own fetch, for Hydra 2.x's generated admin client (the 2017 client
 * speaks node:http, see lib/hydra/http.ts). Next.js replaces the global fetch
 * with one that traces every call and consults its data cache and request
 * deduplication; the app's calls to the API (tokens, consent decisions: never
 * cacheable) would only pay for that. Next.js keeps the fetch it wrapped on
 * its replacement; without Next.js (or should that change) the global one
 * serves.
 */
function plainFetch(): typeof fetch {
  const current = globalThis.fetch as typeof fetch & { _nextOriginalFetch?: typeof fetch };
  return current._nextOriginalFetch ?? current;
}

/** The process's one Hydra API client, so its token cache is shared by every request. */
export function hydra(): HydraClient {
  const {
    hydra: { url, clientId, clientSecret },
    hydraTimeoutMs,
  } = appConfig();
  holder.porticoHydra ??= new HydraClient({ url, clientId, clientSecret, timeoutMs: hydraTimeoutMs });
  return holder.porticoHydra;
}

/** Hydra 2.x's admin API (HYDRA_ADMIN_URL), or undefined when the app does not speak Hydra 2.x. */
export function hydraAdmin(): HydraAdminClient | undefined {
  const { hydraAdminUrl: url, hydraTimeoutMs } = appConfig();
  if (!url) return undefined;
  holder.porticoHydraAdmin ??= new HydraAdminClient({ url, fetch: plainFetch(), timeoutMs: hydraTimeoutMs });
  return holder.porticoHydraAdmin;
}

/** What the account pages and sign-out ask of the server, whichever API it speaks. */
type AccountHydra = Pick<
  HydraClient,
  "getClient" | "listSubjectGrants" | "revokeSubjectGrants" | "endLoginSessions"
>;

/**
 * The server as the account pages see it: Hydra 2.x's admin API with
 * HYDRA_ADMIN_URL (so they work against an Ory Hydra too), else the 2017 API.
 */
export function accountHydra(): AccountHydra {
  return hydraAdmin() ?? hydra();
}

export type { ConsentRequest, LoginRequest, LogoutRequest as HydraLogoutRequest } from "./admin-schemas.ts";
export { failureStatus, HydraError } from "./errors.ts";
export type { LogoutRequest, OAuth2Client, OAuth2ConsentRequest, SubjectGrant } from "./schemas.ts";
