import { z } from "zod";
import { storableDepth } from "@/server/http/body.ts";

/** Hydra's per-client token lifespans: Portico has one lifespan per token kind (the configuration). */
const LIFESPANS = [
  "authorization_code_grant_access_token_lifespan",
  "authorization_code_grant_id_token_lifespan",
  "authorization_code_grant_refresh_token_lifespan",
  "client_credentials_grant_access_token_lifespan",
  "implicit_grant_access_token_lifespan",
  "implicit_grant_id_token_lifespan",
  "jwt_bearer_grant_access_token_lifespan",
  "refresh_token_grant_access_token_lifespan",
  "refresh_token_grant_id_token_lifespan",
  "refresh_token_grant_refresh_token_lifespan",
  "device_authorization_grant_access_token_lifespan",
  "device_authorization_grant_id_token_lifespan",
  "device_authorization_grant_refresh_token_lifespan",
] as const;

/** Go clients send `null` for an empty list; it reads as absent. */
const list = (item: z.ZodType<string> = z.string()) => z.array(item).max(100).nullish();

/** A field Portico does not implement: accepted only with its empty or default value. */
const unsupported = <T extends z.ZodType>(
  schema: T,
  isDefault: (value: z.output<T>) => boolean,
  name: string,
) =>
  schema.nullish().refine((value) => value === undefined || value === null || isDefault(value), {
    message: `${name} is not supported by this server`,
  });

const emptyString = (name: string) => unsupported(z.string(), (value) => value === "", name);
const emptyList = (name: string) => unsupported(z.array(z.unknown()), (value) => value.length === 0, name);

/**
 * The oAuth2Client model of Hydra 2.x as a request body (POST and PUT).
 * The fields the 2017 API shares are checked again by the 2017 client
 * schema, so both faces accept exactly the same clients. Read-only fields
 * (`created_at`, `updated_at`, `registration_*`, `client_secret_expires_at`)
 * are ignored; unknown fields are dropped, as Hydra does.
 */
export const oAuth2ClientBody = z.object({
  client_id: z.string().nullish(),
  client_name: z.string().nullish(),
  client_secret: z.string().nullish(),
  redirect_uris: list(),
  grant_types: list(),
  response_types: list(),
  scope: z.string().nullish(),
  audience: list(
    z.string().max(2048).regex(/^\S+$/, "each audience must be a non-empty string without whitespace"),
  ),
  owner: z.string().nullish(),
  policy_uri: z.string().nullish(),
  tos_uri: z.string().nullish(),
  client_uri: z.string().nullish(),
  logo_uri: z.string().nullish(),
  contacts: list(),
  token_endpoint_auth_method: z
    .enum(
      ["client_secret_basic", "client_secret_post", "none"],
      "token_endpoint_auth_method must be client_secret_basic, client_secret_post or none",
    )
    .nullish(),
  metadata: z
    .record(z.string(), z.unknown(), "metadata must be a JSON object")
    .refine(...storableDepth("metadata"))
    .nullish(),
  subject_type: unsupported(
    z.string(),
    (value) => value === "" || value === "public",
    "subject_type other than public",
  ),
  userinfo_signed_response_alg: unsupported(
    z.string(),
    (value) => value === "" || value === "none",
    "userinfo_signed_response_alg other than none",
  ),
  access_token_strategy: unsupported(
    z.string(),
    (value) => value === "" || value === "opaque",
    "access_token_strategy other than opaque",
  ),
  token_endpoint_auth_signing_alg: emptyString("token_endpoint_auth_signing_alg"),
  request_object_signing_alg: emptyString("request_object_signing_alg"),
  jwks_uri: emptyString("jwks_uri"),
  sector_identifier_uri: emptyString("sector_identifier_uri"),
  frontchannel_logout_uri: emptyString("frontchannel_logout_uri"),
  frontchannel_logout_session_required: unsupported(
    z.boolean(),
    (value) => !value,
    "frontchannel_logout_session_required",
  ),
  skip_logout_consent: unsupported(z.boolean(), (value) => !value, "skip_logout_consent"),
  request_uris: emptyList("request_uris"),
  allowed_cors_origins: emptyList("allowed_cors_origins"),
  jwks: unsupported(
    z.object({ keys: z.array(z.unknown()).nullish() }),
    (value) => !value.keys || value.keys.length === 0,
    "jwks",
  ),
  skip_consent: z.boolean().nullish(),
  post_logout_redirect_uris: list(),
  backchannel_logout_uri: z.string().nullish(),
  backchannel_logout_session_required: z.boolean().nullish(),
  ...Object.fromEntries(
    LIFESPANS.map((name) => [
      name,
      unsupported(z.string(), (value) => value === "", `${name} (per-client lifespans)`),
    ]),
  ),
});

export type OAuth2ClientBody = z.output<typeof oAuth2ClientBody>;
