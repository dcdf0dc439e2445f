import "server-only";
import { randomBytes } from "node:crypto";
import { appConfig } from "@/lib/config/index.ts";
import {
  failureStatus,
  HydraError,
  hydra,
  type OAuth2Client,
  type OAuth2ConsentRequest,
} from "@/lib/hydra/index.ts";
import { describeError, log } from "@/lib/log/index.ts";
import { isAllowedRedirect } from "@/lib/security/redirects.ts";
import type { SignedInUser } from "@/lib/session/index.ts";
import { idTokenClaims } from "@/lib/users/claims.ts";
import { type WayBack, wayBackTo } from "./way-back.ts";

export interface PendingConsent {
  request: OAuth2ConsentRequest;
  client: OAuth2Client;
}

/** What went wrong with a consent request, for the error page; the details went to the log. */
export interface ConsentProblem {
  code: HydraError["code"] | "missing";
  /** Quoted on the error page and in the log line, to find one from the other. */
  reference: string;
  /** The page's HTTP status when the API failed (502, 503, 504); none for the request's own state. */
  status?: 502 | 503 | 504;
  /**
   * A request answered already: the app it was for, when the server named it (Portico does, on both
   * faces) and the app registered a `client_uri` — its name and that http(s) address, the way back to it.
   */
  backTo?: WayBack;
}

/**
 * Fetches a consent request and its client (in one call where the server
 * sends the client along). A request that has expired by
 * its own `expiresAt` counts as expired, and one whose `redirectUrl` leads
 * anywhere but ISSUER or HYDRA_URL is refused. A client that cannot be read
 * is shown by its id.
 */
export async function loadConsent(id: string): Promise<PendingConsent> {
  const request = await hydra().getConsentRequest(id);
  if (request.expiresAt && Date.parse(request.expiresAt) <= Date.now()) {
    throw new HydraError("expired", "get consent request: expired", { operation: "get consent request" });
  }
  if (!isAllowedRedirect(request.redirectUrl, appConfig().redirectOrigins)) {
    throw new HydraError("bad_response", "get consent request: redirectUrl leaves the allowed origins", {
      operation: "get consent request",
      redirectOrigin: URL.canParse(request.redirectUrl) ? new URL(request.redirectUrl).origin : "unparsable",
    });
  }
  // Portico sends the client along with the request; another server needs a second call.
  if (request.client) return { request, client: request.client };
  const client = await hydra()
    .getClient(request.audience)
    .catch((error: unknown) => {
      log().warn("could not read the client of a consent request; showing its id", {
        client: request.audience,
        ...(error instanceof HydraError ? error.details : describeError(error)),
      });
      return {
        id: request.audience,
        client_name: "",
        client_uri: "",
        logo_uri: "",
        policy_uri: "",
        tos_uri: "",
        skip_consent: false,
      };
    });
  return { request, client };
}

/**
 * Accepts for the signed-in user; the subject is theirs, never a form
 * field's. The server also learns the sign-in the decision rests on: its
 * time (auth_time), how (amr: a password) and the session (sid).
 */
export async function acceptConsent(
  request: OAuth2ConsentRequest,
  user: SignedInUser,
  grantScopes: string[],
): Promise<void> {
  await hydra().acceptConsentRequest(request.id, {
    subject: user.id,
    grantScopes,
    accessTokenExtra: {},
    idTokenExtra: idTokenClaims(user, grantScopes),
    authTime: new Date(user.authTime * 1000).toISOString(),
    amr: user.amr.length > 0 ? user.amr : ["pwd"],
    sid: user.sid,
  });
}

/**
 * Where a person goes who answers a request they already answered the same
 * way (a form submitted twice, without JavaScript): on to the app, as the
 * first answer did. Undefined when the answer differs, came from someone
 * else, or can no longer be used; the caller then says "already answered".
 */
export async function sameAnswerGiven(
  id: string,
  user: SignedInUser,
  answer: { decision: "allow"; grantScopes: readonly string[] } | { decision: "deny" },
): Promise<string | undefined> {
  const given = await hydra()
    .getConsentDecision(id)
    .catch((error: unknown) => {
      if (error instanceof HydraError) return undefined;
      throw error;
    });
  if (!given || !isAllowedRedirect(given.redirectUrl, appConfig().redirectOrigins)) return undefined;
  if (answer.decision === "deny") {
    return given.status === "rejected" && given.error === "access_denied" ? given.redirectUrl : undefined;
  }
  const same =
    given.status === "accepted" &&
    given.subject === user.id &&
    given.grantScopes.length === new Set(answer.grantScopes).size &&
    given.grantScopes.every((scope) => answer.grantScopes.includes(scope));
  return same ? given.redirectUrl : undefined;
}

export async function rejectConsent(
  request: OAuth2ConsentRequest,
  error: "access_denied" | "login_required" | "consent_required" = "access_denied",
): Promise<void> {
  const reason = error === "access_denied" ? "The user denied the request" : `prompt=none: ${error}`;
  await hydra().rejectConsentRequest(request.id, { reason, error });
}

/**
 * A consent, login or logout request's id (a 2017 `consent`/`logout` id, a 2.x challenge) as the log
 * shows it: its start, enough to find the request, never the whole of it (anyone who read the log
 * could otherwise open the request as it was sent).
 */
export function loggedRequestId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 12)}…` : id;
}

/** Logs a failed consent step and returns what the error page shows. Unexpected errors are rethrown. */
export function consentProblem(error: unknown, consentId: string): ConsentProblem {
  if (!(error instanceof HydraError)) throw error;
  const reference = randomBytes(4).toString("hex");
  // The app's or the server's fault is an error; a Hydra 2.x challenge on an app not set up for it
  // may be the operator's or anyone's who edits a URL: a warning. The request's own state: info.
  const level =
    error.code === "unreachable" || error.code === "unauthorized" || error.code === "bad_response"
      ? "error"
      : error.code === "unsupported"
        ? "warn"
        : "info";
  log()[level]("consent request could not be used", {
    reference,
    consent: loggedRequestId(consentId),
    code: error.code,
    ...error.details,
  });
  const status = failureStatus(error);
  const backTo = error.code === "already_handled" ? wayBackTo(error.client) : undefined;
  return { code: error.code, reference, ...(status ? { status } : {}), ...(backTo ? { backTo } : {}) };
}

/**
 * GET /consent decides and redirects; when the API failed it sends the
 * browser on to the consent screen with the failure in `?failed=` (code,
 * status, reference), so that the screen shows it at once instead of asking
 * the API again (a silent server would hold the person a second time).
 * Undefined for a problem that is no failure of the API: the screen decides
 * again.
 */
export function failedParam(problem: ConsentProblem): string | undefined {
  return problem.status ? `${problem.code}.${problem.status}.${problem.reference}` : undefined;
}

const FAILED = /^(unreachable|unauthorized|bad_response)\.(502|503|504)\.([0-9a-f]{8})$/;

/** The failure a `?failed=` value names, or undefined when there is none or it is malformed. */
export function parseFailed(value: unknown): ConsentProblem | undefined {
  const match = typeof value === "string" ? FAILED.exec(value) : null;
  if (!match) return undefined;
  return {
    code: match[1] as ConsentProblem["code"],
    status: Number(match[2]) as 502 | 503 | 504,
    reference: match[3] as string,
  };
}
