import "server-only";
import { appConfig } from "@/lib/config/index.ts";
import { HydraClient } from "./client.ts";

const holder = globalThis as typeof globalThis & { porticoHydra?: HydraClient };

/** The process's one Hydra API client, so its token cache is shared by every request. */
export function hydra(): HydraClient {
  const { url, clientId, clientSecret } = appConfig().hydra;
  holder.porticoHydra ??= new HydraClient({ url, clientId, clientSecret });
  return holder.porticoHydra;
}

export { HydraError } from "./errors.ts";
export type { LogoutRequest, OAuth2Client, OAuth2ConsentRequest, SubjectGrant } from "./schemas.ts";
