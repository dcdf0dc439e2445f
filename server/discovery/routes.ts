import type { Hono } from "hono";
import { PROMPT_VALUES, type Prompt } from "@/server/flow/model.ts";
import { corsPreflight, PUBLIC_CORS } from "@/server/http/cors.ts";
import { HYDRA2_PROMPT_VALUES } from "@/server/hydra2/flow/public.ts";
import { TOKEN_ENDPOINT_AUTH_METHODS } from "@/server/oauth2/client-auth.ts";
import { CODE_CHALLENGE_METHODS } from "@/server/oauth2/pkce.ts";
import { RESPONSE_MODES_SUPPORTED, RESPONSE_TYPES_SUPPORTED } from "@/server/oauth2/response-types.ts";
import { PERSON_SCOPES, SCOPES_SUPPORTED } from "@/server/oauth2/scopes.ts";
import { GRANT_HANDLERS } from "@/server/oauth2/token.ts";
import type { Services } from "@/server/services.ts";
import { ID_TOKEN_CLAIMS, ID_TOKEN_SIGNING_ALGS } from "@/server/tokens/id-tokens.ts";

/**
 * The wellKnown document (OpenID Connect Discovery 1.0 §3, RFC 8414), built
 * once from the tables the endpoints themselves use, so it cannot promise
 * what they do not do. `hydra2Flow`: /oauth2/auth runs Hydra 2.x's login and
 * consent steps (URLS_LOGIN), which honour fewer prompt values.
 */
export function wellKnown(issuer: string, { hydra2Flow = false, signupOpen = true } = {}) {
  const implicit = RESPONSE_TYPES_SUPPORTED.some((type) => type !== "code") ? ["implicit"] : [];
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth2/auth`,
    token_endpoint: `${issuer}/oauth2/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth2/introspect`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    userinfo_endpoint: `${issuer}/userinfo`,
    end_session_endpoint: `${issuer}/oauth2/sessions/logout`,
    response_types_supported: [...RESPONSE_TYPES_SUPPORTED],
    response_modes_supported: [...RESPONSE_MODES_SUPPORTED],
    grant_types_supported: [...Object.keys(GRANT_HANDLERS), ...implicit],
    // With the scopes the server defines, the standard ones whose claims it releases (OpenID Connect
    // Core §5.4) and the login & consent app fills, as claims_supported lists them: a relying party
    // (and the OpenID Foundation's oidcc-scope-profile and oidcc-scope-email) learns they work here.
    scopes_supported: [...SCOPES_SUPPORTED, ...PERSON_SCOPES],
    claims_supported: [
      ...ID_TOKEN_CLAIMS,
      "name",
      "preferred_username",
      "updated_at",
      "email",
      "email_verified",
    ],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...ID_TOKEN_SIGNING_ALGS],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    introspection_endpoint_auth_methods_supported: ["client_secret_basic"],
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
    prompt_values_supported: [...promptValuesSupported(hydra2Flow, signupOpen)],
    authorization_response_iss_parameter_supported: true,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: false,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

/**
 * Initiating User Registration via OpenID Connect 1.0 §4.2: an OP lists
 * `create` only when it supports it, so not with sign-up closed (SIGNUP=closed);
 * such a request is then the sign-in step as usual, as in Hydra 2.x mode.
 */
function promptValuesSupported(hydra2Flow: boolean, signupOpen: boolean): readonly Prompt[] {
  if (hydra2Flow) return HYDRA2_PROMPT_VALUES;
  return signupOpen ? PROMPT_VALUES : PROMPT_VALUES.filter((value) => value !== "create");
}

export function discoveryRoutes(api: Hono, { config }: Services) {
  const document = JSON.stringify(
    wellKnown(config.issuer, { hydra2Flow: config.hydra2Flow !== undefined, signupOpen: config.signupOpen }),
  );
  // public · CORS from any origin
  api.get(
    "/.well-known/openid-configuration",
    () =>
      new Response(document, {
        headers: {
          "content-type": "application/json; charset=utf-8",
          "cache-control": "public, max-age=300",
          ...PUBLIC_CORS,
        },
      }),
  );
  // A browser preflights the GET when the app adds a header (an HTTP interceptor's Authorization).
  api.options("/.well-known/openid-configuration", () => corsPreflight("GET"));
}
