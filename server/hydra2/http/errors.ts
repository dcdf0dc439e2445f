import { ApiError } from "@/server/http/errors.ts";
import { OAuthError } from "@/server/oauth2/errors.ts";

/**
 * An error of the Hydra 2.x admin API, written as Hydra writes it
 * (errorOAuth2): `{"error": "<code>", "error_description": "<what went
 * wrong>", "status_code": <the HTTP status>}`. Hydra names its generic
 * errors by the status text ("Not Found", "Conflict") and its OAuth 2.0
 * ones by the RFC code.
 */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }

  static invalidRequest(description: string) {
    return new AdminError(400, "invalid_request", description);
  }
  static invalidClientMetadata(description: string) {
    return new AdminError(400, "invalid_client_metadata", description);
  }
  static notFound(description = "Unable to locate the requested resource") {
    return new AdminError(404, "Not Found", description);
  }
  static conflict(description: string) {
    return new AdminError(409, "Conflict", description);
  }
}

const BY_STATUS: Record<number, string> = {
  400: "invalid_request",
  404: "Not Found",
  409: "Conflict",
  413: "invalid_request",
};

/** The 2.x form of an error the shared stores raise in the 2017 API's terms. */
function fromApiError(error: ApiError): AdminError {
  return new AdminError(error.code, BY_STATUS[error.code] ?? "server_error", error.message);
}

export function adminErrorResponse(error: AdminError): Response {
  const body = { error: error.error, error_description: error.description, status_code: error.status };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/** Any error a 2.x handler let through, as the 2.x error body; undefined for an unexpected one. */
export function toAdminError(error: unknown): AdminError | undefined {
  if (error instanceof AdminError) return error;
  if (error instanceof ApiError) return fromApiError(error);
  if (error instanceof OAuthError) return new AdminError(error.status, error.error, error.description);
  return undefined;
}
