import type { Context } from "hono";
import { callerAddress } from "@/server/http/caller.ts";
import type { Services } from "@/server/services.ts";
import { InvalidClient, InvalidRequest, noStoreJson } from "./errors.ts";
import { readForm } from "./form.ts";
import { scopeAllowed, splitScopes } from "./scopes.ts";

const INACTIVE = { active: false };

/**
 * POST /oauth2/introspect (RFC 7662). The caller authenticates with HTTP
 * Basic, whatever its registered token endpoint method. Only access tokens
 * are introspected: anything else — refresh tokens included — is
 * `{"active": false}`, as is a token lacking any scope the optional `scope`
 * field lists (checked with the wildcard strategy).
 */
export async function introspect(c: Context, services: Services): Promise<Response> {
  const form = await readForm(c);
  const authorization = c.req.header("authorization");
  if (!authorization) throw new InvalidClient("Authenticate with HTTP Basic");
  const value = form.get("token");
  // The token is read first: its read brings the client revision that validates the caller's kept copy.
  const snapshot = c.var.snapshot;
  const token = await snapshot.token(value ?? "");
  // HTTP Basic is this endpoint's one method (discovery), also for a client whose token endpoint
  // method is client_secret_post: it could not introspect at all otherwise.
  const caller = await services.clientAuth.authenticate(
    authorization,
    new Map(),
    snapshot,
    callerAddress(c, services),
    false,
  );
  // A public client proves nothing (RFC 7662 §2.1 wants the caller authorized): it may not introspect.
  if (caller.public) throw new InvalidClient();
  if (!value) throw new InvalidRequest("token is required");
  if (!token) return noStoreJson(INACTIVE);
  const required = splitScopes(form.get("scope"));
  if (!required.every((scope) => scopeAllowed(token.scopes, scope))) return noStoreJson(INACTIVE);
  return noStoreJson({
    active: true,
    scope: token.scopes.join(" "),
    client_id: token.clientId,
    sub: token.subject,
    exp: Math.floor(token.expiresAt.getTime() / 1000),
    iat: Math.floor(token.issuedAt.getTime() / 1000),
    iss: services.config.issuer,
    aud: token.clientId,
    ext: token.extra,
  });
}
