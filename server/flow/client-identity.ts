import { provesClientIdentity } from "@/common/client-identity.ts";
import type { Client } from "@/server/clients/model.ts";
import type { ConsentRequest } from "@/server/consent/store.ts";

/** The request's redirect URI: the one it named, or the client's only one (which /oauth2/auth then used). */
function redirectUriOf(stored: ConsentRequest, client: Client): string | undefined {
  const given = stored.parameters.find(([name, value]) => name === "redirect_uri" && value !== "")?.[1];
  return given ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
}

/**
 * Whether the person must be asked even over a remembered decision: a public
 * client whose redirect URI proves nothing of its identity. RFC 6749 §10.2
 * (and RFC 8252 §8.6): without proof of the client's identity a request is
 * handled as if nothing had been approved before, so another app claiming
 * the same custom scheme cannot collect a code silently. Hydra's
 * requestConsent does the same. Both faces ask this: the 2.x face before it
 * says `skip`, the 2017 face tells its consent app (`interactionRequired`).
 */
export function interactionRequired(stored: ConsentRequest, client: Client): boolean {
  return client.public && !provesClientIdentity(redirectUriOf(stored, client));
}
