import type { Hono } from "hono";
import { AdminError } from "@/server/hydra2/http/errors.ts";
import { readForm } from "@/server/oauth2/form.ts";
import { scopeAllowed, splitScopes } from "@/server/oauth2/scopes.ts";
import type { Services } from "@/server/services.ts";

const INACTIVE = { active: false };
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** Token introspection and deletion of Hydra's admin API (no client authentication: admin port). */
export function oauth2AdminRoutes(
  api: Hono,
  { accessTokens, refreshTokens, authorizationGrants, config }: Services,
) {
  /**
   * The access-token audience the consent granted (grant_access_token_audience); empty when none.
   * A client_credentials token carries its own instead (AccessTokenRecord.audience).
   */
  const audienceOf = async (grantId: string) => (await authorizationGrants.find(grantId))?.audience ?? [];

  // introspectOAuth2Token (RFC 7662): access and refresh tokens. A token lacking any scope the
  // optional `scope` field lists is inactive (wildcard strategy, as on the 2017 endpoint).
  api.post("/admin/oauth2/introspect", async (c) => {
    const form = await readForm(c);
    const token = form.get("token");
    if (!token) throw AdminError.invalidRequest("token is required");
    const required = splitScopes(form.get("scope"));
    const covers = (scopes: string[]) => required.every((scope) => scopeAllowed(scopes, scope));

    const access = await accessTokens.findActive(token);
    if (access) {
      if (!covers(access.scopes)) return c.json(INACTIVE);
      return c.json({
        active: true,
        scope: access.scopes.join(" "),
        client_id: access.clientId,
        sub: access.subject,
        exp: seconds(access.expiresAt),
        iat: seconds(access.issuedAt),
        nbf: seconds(access.issuedAt),
        iss: config.issuer,
        aud: access.audience ?? (await audienceOf(access.grantId)),
        ext: access.extra,
        token_type: "Bearer",
        token_use: "access_token",
      });
    }
    const refresh = await refreshTokens.findActive(token);
    if (!refresh || !covers(refresh.scopes)) return c.json(INACTIVE);
    const lifespanMs = config.refreshTokenLifespanMs;
    return c.json({
      active: true,
      scope: refresh.scopes.join(" "),
      client_id: refresh.clientId,
      sub: refresh.subject,
      ...(lifespanMs > 0 ? { exp: seconds(new Date(refresh.issuedAt.getTime() + lifespanMs)) } : {}),
      iat: seconds(refresh.issuedAt),
      nbf: seconds(refresh.issuedAt),
      iss: config.issuer,
      aud: await audienceOf(refresh.grantId),
      ext: refresh.accessTokenExtra,
      token_type: "Bearer",
      token_use: "refresh_token",
    });
  });

  // deleteOAuth2Token: every access token issued to the client stops working at once.
  api.delete("/admin/oauth2/tokens", async (c) => {
    const clientId = c.req.query("client_id");
    if (!clientId) throw AdminError.invalidRequest("client_id is required");
    await accessTokens.revokeAllOfClient(clientId);
    return c.body(null, 204);
  });
}
