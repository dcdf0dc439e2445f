import type { Client } from "@/server/clients/model.ts";
import type { Snapshot } from "@/server/http/snapshot.ts";
import type { Services } from "@/server/services.ts";

/** The token response (RFC 6749 §5.1; `scope` and `id_token` are strings, whatever Hydra's 2017 swagger said). */
export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

interface GrantContext {
  client: Client;
  form: Map<string, string>;
  services: Services;
  /** The request's snapshot, for the stores the handler writes through (AccessTokens.issue). */
  snapshot: Snapshot;
}

/** One grant type of the token endpoint; the client is already authenticated. */
export type GrantHandler = (context: GrantContext) => Promise<TokenResponse>;
