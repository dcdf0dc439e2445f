import type { OAuth2Client } from "./schemas.ts";

/**
 * Why a call to the Hydra API failed, in the terms the pages need:
 * - `not_found`, `expired`, `already_handled`: the consent request's own state (404, 410, 409);
 * - `unreachable`: no answer (connection refused, DNS, timeout), or a 503 (the server cannot serve now);
 * - `unauthorized`: the app's client or its permissions are wrong (401/403, token refused);
 * - `bad_response`: an answer this app cannot read (unexpected status or shape);
 * - `unsupported`: a Hydra 2.x challenge while the app is not set up for it (no HYDRA_ADMIN_URL).
 */
type HydraErrorCode =
  | "not_found"
  | "expired"
  | "already_handled"
  | "unreachable"
  | "unauthorized"
  | "bad_response"
  | "unsupported";

/** Marks every HydraError, whichever copy of this module made it. */
const brand = Symbol.for("portico.HydraError");

export class HydraError extends Error {
  override readonly name = "HydraError";
  readonly [brand] = true;

  /**
   * Next.js bundles this module once per route and page, while the one API
   * client of the process (lib/hydra/index.ts) is shared by all of them: an
   * error it throws may come from another bundle's copy of this class. The
   * brand makes `instanceof HydraError` true for every copy.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brand in value;
  }

  constructor(
    readonly code: HydraErrorCode,
    message: string,
    /** For the log: the operation, the HTTP status and the server's own message. */
    readonly details: Record<string, unknown> = {},
    /**
     * `already_handled` of a consent request read with `?include=client` (the 2017 API's 409), or of
     * a Hydra 2.x login or consent request read again (the 410): the client it was for, as Portico
     * sends it beside the error (parsed as every client: only http(s) links), so that the page can
     * offer the way back to that app. Undefined from any other server (Ory Hydra's 410 names none).
     */
    readonly client?: OAuth2Client,
  ) {
    super(message);
  }
}

/** Whether `error`, or an error it was caused by, is a time limit's abort (withDeadline's TimeoutError). */
export function isTimeout(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    if ((current as { name?: unknown }).name === "TimeoutError") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The HTTP status of a page that could not go on because of the API, as a
 * gateway answers for the server behind it: 502 for an answer the app cannot
 * use (or a refusal of the app's own client), 504 when the time limit
 * (HYDRA_TIMEOUT) passed, 503 when no answer came at all (or the server said 503). Undefined for the
 * request's own state (unknown, expired, answered), which is no failure.
 */
export function failureStatus(error: HydraError): 502 | 503 | 504 | undefined {
  switch (error.code) {
    case "unreachable":
      return error.details.timedOut === true ? 504 : 503;
    case "unauthorized":
    case "bad_response":
      return 502;
    default:
      return undefined;
  }
}
