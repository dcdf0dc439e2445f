import { z } from "zod";
import { isScopeToken } from "@/server/oauth2/scopes.ts";

const GRANT_TYPES = ["authorization_code", "implicit", "refresh_token", "client_credentials"] as const;
const RESPONSE_TYPES = ["code", "token", "id_token"] as const;

/**
 * Hydra 2.x registers the OpenID Connect combinations too (`code id_token`,
 * `token id_token`, `code token`, `code token id_token`): distinct parts
 * separated by single spaces, in any order (Multiple Response Types §5),
 * kept as written.
 */
function isResponseTypeOrCombination(value: string): boolean {
  const parts = value.split(" ");
  return (
    new Set(parts).size === parts.length &&
    parts.every((part) => (RESPONSE_TYPES as readonly string[]).includes(part))
  );
}

/** Client ids: the characters that read the same raw or form-urlencoded in HTTP Basic. */
const CLIENT_ID = /^[A-Za-z0-9\-._~]{1,255}$/;

/** RFC 8252 §7.3: loopback redirects of native apps may use plain http. */
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);
/** RFC 8252 §7.1: a private-use scheme is a reversed domain name, so it holds a period. */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*\.[a-z0-9+\-.]*:$/;

/**
 * A redirect URI must be exactly what the URL parser makes of it (so no
 * control characters or spaces that parsing would silently drop, and one
 * spelling that exact matching can rely on), absolute, without a fragment
 * (RFC 6749 §3.1.2), and https, http on a loopback host, or a private-use
 * scheme of a native app. Everything else (javascript:, data:, vbscript:,
 * file:, plain http elsewhere) is refused.
 */
function isRedirectUri(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.href !== value || url.hash !== "" || value.includes("#")) return false;
  if (url.protocol === "https:") return url.hostname !== "";
  if (url.protocol === "http:") return LOOPBACK_HOSTS.has(url.hostname);
  return PRIVATE_USE_SCHEME.test(url.protocol);
}

/** Characters that reorder text around them (RLO, LRI, …): a name could show as another app's. */
const BIDI_CONTROLS = /[\p{Bidi_Control}\p{Cc}]/u;

/** bcrypt reads at most 72 bytes: a longer secret would be checked on its first 72 bytes only. */
const BCRYPT_MAX_BYTES = 72;

const webUrl = (field: string) =>
  z
    .string()
    .max(2048)
    .refine(
      (value) => value === "" || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)),
      `${field} must be an http(s) URL`,
    );

/** An optional field where null reads as absent. */
const absentWhenNull = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null ? undefined : value), schema.optional());

/** The oAuth2Client model's fields as a request body (POST and PUT). Unknown fields are dropped. */
const oAuth2ClientFields = z.object({
  id: z.string().regex(CLIENT_ID, "id may use only A-Z a-z 0-9 - . _ ~ (1 to 255 characters)").optional(),
  client_name: z
    .string()
    .max(255)
    .refine(
      (value) => !BIDI_CONTROLS.test(value),
      "client_name may not hold control or bidirectional-override characters",
    )
    .default(""),
  client_secret: z
    .string()
    .min(16, "client_secret must be at least 16 characters")
    .refine(
      (value) => Buffer.byteLength(value, "utf8") <= BCRYPT_MAX_BYTES,
      `client_secret must be at most ${BCRYPT_MAX_BYTES} bytes (UTF-8)`,
    )
    .optional(),
  redirect_uris: z
    .array(
      z
        .string()
        .max(2048)
        .refine(
          isRedirectUri,
          "each redirect URI must be https, http on a loopback host, or a private-use scheme, written exactly as a URL parser writes it, without a fragment",
        ),
    )
    .max(100)
    .default([]),
  grant_types: z.array(z.enum(GRANT_TYPES)).default([]),
  response_types: z.array(z.enum(RESPONSE_TYPES)).default([]),
  scope: z
    .string()
    .max(4096)
    .default("")
    .refine(
      (value) => value.split(" ").every((s) => s === "" || isScopeToken(s)),
      "scope has invalid characters",
    ),
  owner: z.string().max(255).default(""),
  policy_uri: webUrl("policy_uri").default(""),
  tos_uri: webUrl("tos_uri").default(""),
  client_uri: webUrl("client_uri").default(""),
  logo_uri: webUrl("logo_uri").default(""),
  contacts: z.array(z.string().max(255)).max(100).default([]),
  public: z.boolean().default(false),
  // OpenID Connect additions (RP-Initiated Logout 1.0 §3.1, Back-Channel Logout 1.0 §2.2, Hydra 2.x's skip_consent).
  // Absent (or null) keeps what is stored on PUT, so a 2017 SDK's read-modify-write never drops them.
  skip_consent: absentWhenNull(z.boolean()),
  post_logout_redirect_uris: absentWhenNull(
    z
      .array(
        z
          .string()
          .max(2048)
          .refine(isRedirectUri, "each post-logout redirect URI must be an absolute URI without a fragment"),
      )
      .max(100),
  ),
  backchannel_logout_uri: absentWhenNull(
    z
      .string()
      .max(2048)
      .refine(
        (value) =>
          value === "" ||
          (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) && !value.includes("#")),
        "backchannel_logout_uri must be an absolute http(s) URL without a fragment",
      ),
  ),
  backchannel_logout_session_required: absentWhenNull(z.boolean()),
});

/**
 * A field sent as JSON null, and an empty `client_secret`, read as absent:
 * Hydra's Go structs read null as the field's zero value and took an empty
 * secret as none (POST generates one, PUT keeps the stored one), and Go
 * callers send nil slices as null. The defaults above then apply.
 */
function nullAsAbsent(body: unknown): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body).filter(
      ([key, value]) => value !== null && !(key === "client_secret" && value === ""),
    ),
  );
}

/** The oAuth2Client model as the 2017 API reads a request body (POST and PUT). */
export const oAuth2ClientInput = z.preprocess(nullAsAbsent, oAuth2ClientFields);

/**
 * The same client as the Hydra 2.x API writes it: a response type may also be
 * a combination. The 2017 model keeps its three single values (`code`,
 * `token`, `id_token`), whose combinations a client gets by registering each.
 */
export const hydra2ClientInput = oAuth2ClientFields.extend({
  response_types: z
    .array(
      z
        .string()
        .max(64)
        .refine(
          isResponseTypeOrCombination,
          "each response type must be code, token, id_token or a combination of them separated by spaces (code id_token, …)",
        ),
    )
    .max(100)
    .default([]),
});

export type OAuth2ClientInput = z.output<typeof hydra2ClientInput>;

/** The oAuth2Client model as the API answers it. `client_secret` only in the create response. */
export interface OAuth2ClientWire {
  id: string;
  client_name: string;
  client_secret?: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  scope: string;
  owner: string;
  policy_uri: string;
  tos_uri: string;
  client_uri: string;
  logo_uri: string;
  contacts: string[];
  public: boolean;
  skip_consent?: true;
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: true;
}
