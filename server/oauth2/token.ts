import type { Context } from "hono";
import { callerAddress } from "@/server/http/caller.ts";
import type { Snapshot } from "@/server/http/snapshot.ts";
import type { Services } from "@/server/services.ts";
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
  // client_credentials writes one row, which confirms the kept client in the same statement.
  if (form.get("grant_type") === "client_credentials") {
    return services.snapshots.withKeptClients((snapshot) => grant(c, services, form, snapshot));
  }
  return grant(c, services, form, c.var.snapshot);
}

async function grant(
  c: Context,
  services: Services,
  form: Map<string, string>,
  snapshot: Snapshot,
): Promise<Response> {
  const client = await services.clientAuth.authenticate(
    c.req.header("authorization"),
    form,
    snapshot,
    callerAddress(c, services),
  );
  const grantType = form.get("grant_type");
  if (!grantType) throw new InvalidRequest("grant_type is required");
  const handler = Object.hasOwn(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType] : undefined;
  if (!handler) throw new UnsupportedGrantType(`The grant type ${grantType} is not supported`);
  if (!client.grantTypes.includes(grantType)) {
    throw new UnauthorizedClient(`The client is not allowed to use the grant type ${grantType}`);
  }
  return noStoreJson(await handler({ client, form, services, snapshot }));
}
