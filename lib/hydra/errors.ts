/**
 * Why a call to the Hydra API failed, in the terms the pages need:
 * - `not_found`, `expired`, `already_handled`: the consent request's own state (404, 410, 409);
 * - `unreachable`: no answer (connection refused, DNS, timeout);
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
  ) {
    super(message);
  }
}
