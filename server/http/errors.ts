import { STATUS_CODES } from "node:http";

/**
 * An error of the admin API. Written as `{"error": {code, status, message}}`
 * (Hydra's error envelope; `status` is the HTTP reason phrase) by
 * `apiErrorResponse`, the only writer. `extra`: members beside `error`, for
 * a documented addition only (e.g. the client of an answered consent request
 * asked for with `?include=client`); none in the 2017 API's own answers.
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }

  static badRequest(message: string) {
    return new ApiError(400, message);
  }
  static unauthorized(message = "A valid bearer access token is required") {
    return new ApiError(401, message);
  }
  static forbidden(message = "The request is not allowed") {
    return new ApiError(403, message);
  }
  static notFound(message = "The requested resource could not be found") {
    return new ApiError(404, message);
  }
  static conflict(message: string) {
    return new ApiError(409, message);
  }
  static payloadTooLarge() {
    return new ApiError(413, "The request body is larger than 1 MiB");
  }
}

export function apiErrorResponse(error: ApiError): Response {
  const body = {
    error: { code: error.code, status: STATUS_CODES[error.code] ?? "Error", message: error.message },
    ...error.extra,
  };
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (error.code === 401) headers["www-authenticate"] = 'Bearer realm="portico"';
  return new Response(JSON.stringify(body), { status: error.code, headers });
}
