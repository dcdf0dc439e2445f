import type { Hono } from "hono";
import type { Services } from "../services.ts";
import { InvalidRequest, noStoreJson, UnauthorizedClient, UnsupportedGrantType } from "./errors.ts";
import { readForm } from "./form.ts";
import { clientCredentials } from "./grants/client-credentials.ts";
import type { GrantHandler } from "./grants/grant.ts";

/** The grant types the token endpoint serves; discovery reads this list too. */
export const GRANT_HANDLERS: Record<string, GrantHandler> = {
  client_credentials: clientCredentials,
};

export function tokenRoutes(api: Hono, services: Services) {
  // RFC 6749 §3.2: the client authenticates (Basic, post, or none for public clients).
  api.post("/oauth2/token", async (c) => {
    const form = await readForm(c);
    const client = await services.clientAuth.authenticate(c.req.header("authorization"), form);
    const grantType = form.get("grant_type");
    if (!grantType) throw new InvalidRequest("grant_type is required");
    const handler = GRANT_HANDLERS[grantType];
    if (!handler) throw new UnsupportedGrantType(`The grant type ${grantType} is not supported`);
    if (!client.grantTypes.includes(grantType)) {
      throw new UnauthorizedClient(`The client is not allowed to use the grant type ${grantType}`);
    }
    return noStoreJson(await handler({ client, form, services }));
  });
}
