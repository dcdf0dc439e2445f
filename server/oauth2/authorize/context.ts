import type { Client } from "@/server/clients/model.ts";
import type { OidcContext } from "@/server/flow/model.ts";
import type { ResponseMode, ResponseType } from "@/server/oauth2/response-types.ts";
import type { Services } from "@/server/services.ts";
import type { AuthorizationParameters } from "./parameters.ts";

/**
 * What the checks of /oauth2/auth learn about a request, in their order.
 * Once `client` and `redirectUri` are set, errors go back to the client.
 */
export interface AuthorizationContext {
  readonly params: AuthorizationParameters;
  readonly services: Services;
  client?: Client;
  redirectUri?: string;
  /** Whether the request named its redirect_uri (then the token request must name it too). */
  redirectUriGiven?: boolean;
  responseType?: ResponseType;
  responseMode?: ResponseMode;
  scopes?: string[];
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  /** What the OpenID Connect checks learned: filled in as they pass. */
  oidc: OidcContext;
}

/** A request every check passed: what consent and issuance work from. */
export interface AuthorizationRequest {
  client: Client;
  redirectUri: string;
  redirectUriGiven: boolean;
  responseType: ResponseType;
  responseMode: ResponseMode;
  scopes: string[];
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  oidc: OidcContext;
  /** The client's parameters, in order, as sent. */
  parameters: [string, string][];
}

/** One named check: throws the OAuthError the request deserves, or records what it verified. */
export type AuthorizationCheck = (context: AuthorizationContext) => void | Promise<void>;

export function verifiedRequest(context: AuthorizationContext): AuthorizationRequest {
  const { client, redirectUri, redirectUriGiven, responseType, responseMode, scopes } = context;
  if (
    !client ||
    !redirectUri ||
    !responseType ||
    !responseMode ||
    !scopes ||
    redirectUriGiven === undefined
  ) {
    throw new Error("the authorization checks left the request incomplete");
  }
  return {
    client,
    redirectUri,
    redirectUriGiven,
    responseType,
    responseMode,
    scopes,
    state: context.params.single("state"),
    nonce: context.nonce,
    codeChallenge: context.codeChallenge,
    codeChallengeMethod: context.codeChallengeMethod,
    oidc: context.oidc,
    parameters: context.params.original(),
  };
}
