/**
 * Why a call to the Hydra API failed, in the terms the pages need:
 * - `not_found`, `expired`, `already_handled`: the consent request's own state (404, 410, 409);
 * - `unreachable`: no answer (connection refused, DNS, timeout);
 * - `unauthorized`: the app's client or its permissions are wrong (401/403, token refused);
 * - `bad_response`: an answer this app cannot read (unexpected status or shape);
 * - `unsupported`: a Hydra 2.x challenge while the app is not set up for it (no HYDRA_ADMIN_URL).
 */
export type HydraErrorCode =
  | "not_found"
  | "expired"
  | "already_handled"
  | "unreachable"
  | "unauthorized"
  | "bad_response"
  | "unsupported";

export class HydraError extends Error {
  override readonly name = "HydraError";

  constructor(
    readonly code: HydraErrorCode,
    message: string,
    /** For the log: the operation, the HTTP status and the server's own message. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
