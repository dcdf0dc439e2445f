import type { Context } from "hono";
import type { Client } from "@/server/clients/model.ts";
import { callerAddress } from "@/server/http/caller.ts";
import type { Services } from "@/server/services.ts";
import { StaleClient } from "@/server/tokens/access-tokens.ts";
import { InvalidRequest, noStoreJson, UnauthorizedClient, UnsupportedGrantType } from "./errors.ts";
import { readForm } from "./form.ts";
import { authorizationCode } from "./grants/authorization-code.ts";
import { clientCredentials } from "./grants/client-credentials.ts";
import type { GrantHandler } from "./grants/grant.ts";
import { refreshToken } from "./grants/refresh-token.ts";

/** The grant types the token endpoint serves; discovery reads this table too. */
export const GRANT_HANDLERS: Record<string, GrantHandler> = {
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
  client_credentials: clientCredentials,
};

/**
 * POST /oauth2/token (RFC 6749 §3.2). The client authenticates
 * (client_secret_basic, client_secret_post, or none for a public client),
 * then the grant type's handler answers; errors are RFC 6749 §5.2 bodies.
 */
export async function token(c: Context, services: Services): Promise<Response> {
  const form = await readForm(c);
  // client_credentials writes one row, which can confirm the client revision in the same statement:
  // try the kept client first and, when a client write moved the revision, read it and try again.
  if (form.get("grant_type") === "client_credentials" && services.accessTokens.confirmsClientRevision) {
    for (let attempt = 0; attempt < 3; attempt++) {
      let clientRevision: number | undefined;
      let keptId: string | undefined;
      const lookup = async (id: string) => {
        const kept = attempt === 0 ? services.clients.cached(id) : undefined;
        if (kept) keptId = id;
        const entry = kept ?? (await services.clients.fetch(id));
        // The insert confirms the oldest revision any client of this attempt was read at.
        clientRevision = Math.min(clientRevision ?? entry.revision, entry.revision);
        return entry.client;
      };
      try {
        return await grant(c, services, form, lookup, () => clientRevision);
      } catch (error) {
        if (error instanceof StaleClient) continue;
        // A refusal decided on a kept copy stands only if no client write happened since it was read.
        if (keptId === undefined || (await services.clients.fetch(keptId)).revision === clientRevision)
          throw error;
      }
    }
  }
  return grant(c, services, form);
}

async function grant(
  c: Context,
  services: Services,
  form: Map<string, string>,
  lookup?: (id: string) => Promise<Client | null>,
  clientRevision: () => number | undefined = () => undefined,
): Promise<Response> {
  const client = await services.clientAuth.authenticate(
    c.req.header("authorization"),
    form,
    lookup,
    callerAddress(c, services),
  );
  const grantType = form.get("grant_type");
  if (!grantType) throw new InvalidRequest("grant_type is required");
  const handler = Object.hasOwn(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType] : undefined;
  if (!handler) throw new UnsupportedGrantType(`The grant type ${grantType} is not supported`);
  if (!client.grantTypes.includes(grantType)) {
    throw new UnauthorizedClient(`The client is not allowed to use the grant type ${grantType}`);
  }
  return noStoreJson(await handler({ client, form, services, clientRevision: clientRevision() }));
}
