import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";

/**
 * OpenID Connect Core §3.1.2.1: `id_token_hint` is an ID token this issuer
 * signed for this client (expired is fine: it only says who the client
 * believes is signed in). One signed elsewhere, for another client, or with
 * a bad signature is refused; a good one tells the app whom to expect.
 */
export const idTokenHint: AuthorizationCheck = async (context) => {
  const value = context.params.get("id_token_hint");
  if (value === undefined) return;
  const hint = await context.services.idTokens.readHint(value);
  if (!hint) throw new InvalidRequest("id_token_hint is not an ID token this issuer signed");
  if (context.client && !hint.audience.includes(context.client.id)) {
    throw new InvalidRequest("id_token_hint was issued to another client");
  }
  context.oidc.idTokenHint = { subject: hint.subject, ...(hint.sid ? { sid: hint.sid } : {}) };
};
