import type { Client, ClientExtensions } from "@/server/clients/model.ts";
import { hydra2ClientInput, type OAuth2ClientInput } from "@/server/clients/schemas.ts";
import { describeZodError } from "@/server/http/body.ts";
import { AdminError } from "@/server/hydra2/http/errors.ts";
import type { OAuth2ClientBody } from "./schemas.ts";

/**
 * A client as the Hydra 2.x API answers it (oAuth2Client). `client_secret`
 * only when the request set or generated one. Fields Portico does not
 * implement answer their empty value.
 */
export function toV2Wire(client: Client, secret?: string) {
  return {
    client_id: client.id,
    client_name: client.name,
    ...(secret !== undefined ? { client_secret: secret } : {}),
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    scope: client.scopes.join(" "),
    audience: client.audience,
    owner: client.owner,
    policy_uri: client.policyUri,
    allowed_cors_origins: [],
    tos_uri: client.tosUri,
    client_uri: client.clientUri,
    logo_uri: client.logoUri,
    contacts: client.contacts,
    client_secret_expires_at: 0,
    subject_type: "public",
    jwks: {},
    token_endpoint_auth_method: client.public
      ? "none"
      : (client.tokenEndpointAuthMethod ?? "client_secret_basic"),
    userinfo_signed_response_alg: "none",
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
    metadata: client.metadata ?? {},
    skip_consent: client.skipConsent,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    backchannel_logout_uri: client.backchannelLogoutUri,
    backchannel_logout_session_required: client.backchannelLogoutSessionRequired,
    frontchannel_logout_session_required: false,
  };
}

/**
 * A 2.x client body as the shared store's input: the fields both APIs carry
 * go through the 2017 client schema (the same rules on both faces, but for
 * the combined response types only 2.x registers), the rest become the 2.x
 * extensions. Any violation is Hydra's `invalid_client_metadata`.
 */
export function toStoreInput(body: OAuth2ClientBody): {
  input: OAuth2ClientInput;
  extensions: ClientExtensions;
} {
  const method = body.token_endpoint_auth_method ?? "client_secret_basic";
  const parsed = hydra2ClientInput.safeParse({
    id: body.client_id || undefined,
    client_name: body.client_name ?? "",
    client_secret: body.client_secret || undefined,
    redirect_uris: body.redirect_uris ?? [],
    grant_types: body.grant_types ?? [],
    response_types: body.response_types ?? [],
    scope: body.scope ?? "",
    owner: body.owner ?? "",
    policy_uri: body.policy_uri ?? "",
    tos_uri: body.tos_uri ?? "",
    client_uri: body.client_uri ?? "",
    logo_uri: body.logo_uri ?? "",
    contacts: body.contacts ?? [],
    public: method === "none",
    // A 2.x write replaces the client: an absent field is its default, never "keep what is stored".
    skip_consent: body.skip_consent ?? false,
    post_logout_redirect_uris: body.post_logout_redirect_uris ?? [],
    backchannel_logout_uri: body.backchannel_logout_uri ?? "",
    backchannel_logout_session_required: body.backchannel_logout_session_required ?? false,
  });
  if (!parsed.success) {
    throw AdminError.invalidClientMetadata(describeZodError(parsed.error).replace(/^id:/, "client_id:"));
  }
  return {
    input: parsed.data,
    extensions: {
      audience: body.audience ?? [],
      tokenEndpointAuthMethod: method === "none" ? undefined : method,
      metadata: body.metadata ?? undefined,
    },
  };
}

/**
 * The 2.x fields whose wire value stands in for "not set" in the store: a
 * 2017 client's token_endpoint_auth_method is unset (it accepts both secret
 * methods) and reads as `client_secret_basic`; unset metadata reads as `{}`.
 * A JSON Patch changes only the members it names (RFC 6902), so one that
 * names neither keeps what is stored instead of writing the stand-in back.
 */
export function keepUnpatched(
  client: Client,
  extensions: ClientExtensions,
  patches: (member: string) => boolean,
): ClientExtensions {
  return {
    ...extensions,
    tokenEndpointAuthMethod: patches("token_endpoint_auth_method")
      ? extensions.tokenEndpointAuthMethod
      : client.tokenEndpointAuthMethod,
    metadata: patches("metadata") ? extensions.metadata : client.metadata,
  };
}
