import type { Context } from "hono";
import { callerAddress } from "@/server/http/caller.ts";
import type { Services } from "@/server/services.ts";
import { revokeGrant } from "@/server/tokens/refresh-tokens.ts";
import { InvalidRequest } from "./errors.ts";
import { readForm } from "./form.ts";

/**
 * POST /oauth2/revoke (RFC 7009). Revokes a token of the calling client,
 * which authenticates as at the token endpoint (§2.1 refers to RFC 6749
 * §2.3): HTTP Basic, its client_id and client_secret in the form, or a
 * public client's client_id alone. A client registered for
 * client_secret_post (Hydra 2.x) may not use Basic, so without the form it
 * could never revoke what it holds. An access token is
 * revoked alone; a refresh token takes its whole grant with it (§2.1). A
 * token that is unknown, or another client's, answers 200 all the same, so
 * the endpoint tells no one which tokens exist.
 */
export async function revoke(c: Context, services: Services): Promise<Response> {
  const form = await readForm(c);
  const client = await services.clientAuth.authenticate(
    c.req.header("authorization"),
    form,
    c.var.snapshot,
    callerAddress(c, services),
  );
  const token = form.get("token");
  if (!token) throw new InvalidRequest("token is required");
  const refreshFirst = form.get("token_type_hint") === "refresh_token";
  const revoked = !refreshFirst && (await services.accessTokens.revoke(token, client.id));
  if (!revoked) {
    const grantId = await services.refreshTokens.grantOf(token, client.id);
    if (grantId) await services.db.$transaction((tx) => revokeGrant(tx, grantId));
    else if (refreshFirst) await services.accessTokens.revoke(token, client.id);
  }
  return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
}
