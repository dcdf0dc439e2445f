/**
 * OAuth 2.0 errors (RFC 6749 §4.1.2.1, §5.2; RFC 7009; RFC 7662), one class
 * per error code. Written as `{"error", "error_description"}` by
 * `oauthErrorResponse`, or into a redirect by the authorization endpoint.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

export class InvalidRequest extends OAuthError {
  constructor(description: string) {
    super("invalid_request", description);
  }
}
export class InvalidClient extends OAuthError {
  constructor(description = "Client authentication failed") {
    super("invalid_client", description, 401);
  }
}
/** 429: too many attempts from this address or against this client; Retry-After says when to come back. */
export class TooManyAttempts extends OAuthError {
  constructor(
    readonly retryAfterSeconds: number,
    description: string,
    error = "invalid_client",
  ) {
    super(error, description, 429);
  }
}
export class InvalidGrant extends OAuthError {
  constructor(description: string) {
    super("invalid_grant", description);
  }
}
export class UnauthorizedClient extends OAuthError {
  constructor(description: string) {
    super("unauthorized_client", description);
  }
}
export class UnsupportedGrantType extends OAuthError {
  constructor(description: string) {
    super("unsupported_grant_type", description);
  }
}
export class InvalidScope extends OAuthError {
  constructor(description: string) {
    super("invalid_scope", description);
  }
}
export class AccessDenied extends OAuthError {
  constructor(description: string) {
    super("access_denied", description, 403);
  }
}
export class UnsupportedResponseType extends OAuthError {
  constructor(description: string) {
    super("unsupported_response_type", description);
  }
}
export class ServerError extends OAuthError {
  constructor(description = "The server could not complete the request") {
    super("server_error", description, 500);
  }
}

const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * An error description with only the characters RFC 6749 §4.1.2.1 (and RFC 6750 §3) allow,
 * %x20-21 / %x23-5B / %x5D-7E: what goes into a redirect's query or a WWW-Authenticate header.
 */
export function safeDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "");
}

export function oauthErrorResponse(error: OAuthError): Response {
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", ...NO_STORE };
  if (error.status === 401) headers["www-authenticate"] = 'Basic realm="portico"';
  if (error instanceof TooManyAttempts) headers["retry-after"] = String(error.retryAfterSeconds);
  return new Response(JSON.stringify({ error: error.error, error_description: error.description }), {
    status: error.status,
    headers,
  });
}

/** A JSON response that must never be cached (RFC 6749 §5.1). */
export function noStoreJson(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...NO_STORE },
  });
}

/** OpenID Connect Core §3.1.2.6: the `request` and `request_uri` parameters (signed requests). */
export class RequestNotSupported extends OAuthError {
  constructor(description = "The request parameter is not supported") {
    super("request_not_supported", description);
  }
}
export class RequestUriNotSupported extends OAuthError {
  constructor(description = "The request_uri parameter is not supported") {
    super("request_uri_not_supported", description);
  }
}
export class RegistrationNotSupported extends OAuthError {
  constructor(description = "The registration parameter is not supported") {
    super("registration_not_supported", description);
  }
}

/** OpenID Connect Core §3.1.2.6: answers to prompt=none and to a login or consent step that refused. */
export class LoginRequired extends OAuthError {
  constructor(description = "The person must sign in") {
    super("login_required", description);
  }
}
export class ConsentRequired extends OAuthError {
  constructor(description = "The person must consent") {
    super("consent_required", description);
  }
}
export class InteractionRequired extends OAuthError {
  constructor(description = "The person must interact with the sign-in service") {
    super("interaction_required", description);
  }
}
export class AccountSelectionRequired extends OAuthError {
  constructor(description = "The person must choose an account") {
    super("account_selection_required", description);
  }
}
