import "server-only";
import { appConfig } from "@/lib/config/index.ts";
import type { HydraAdminClient } from "@/lib/hydra/admin.ts";
import { type ConsentRequest, HydraError, hydraAdmin, type LoginRequest } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { isAllowedRedirect } from "@/lib/security/redirects.ts";
import { REMEMBER_ME_SECONDS } from "@/lib/session/lifetimes.ts";
import { idTokenClaims } from "@/lib/users/claims.ts";
import { findUser } from "@/lib/users/find.ts";
import type { User } from "@/lib/users/store.ts";
import { type ConsentProblem, consentProblem } from "./decisions.ts";
import { scopesToGrant } from "./scopes.ts";

/**
 * The login and consent steps of Ory Hydra 2.x (HYDRA_ADMIN_URL), beside the
 * 2017 consent requests. Hydra keeps the whole flow's state: who signed in
 * (its login session, `remember`), what they allowed (`remember` on consent),
 * and when a screen may be skipped (`skip`). This app only signs people in
 * against its own store and asks them; it keeps no login state of its own
 * for these steps.
 */

/** "Remember me": Hydra keeps the sign-in this long, as the sign-in page promises (lib/session/lifetimes.ts). */
export const REMEMBER_LOGIN_SECONDS = REMEMBER_ME_SECONDS;
/** "Remember my decision": until the person revokes it (Hydra's 0 is "no expiry"). */
const REMEMBER_CONSENT_FOREVER = 0;
/** How the app signs people in (RFC 8176): a password. */
const AMR = ["pwd"];

/** The admin API, or `unsupported` when this app was not set up for Hydra 2.x. */
function admin(): HydraAdminClient {
  const client = hydraAdmin();
  if (!client) throw new HydraError("unsupported", "HYDRA_ADMIN_URL is not set", { operation: "hydra 2.x" });
  return client;
}

/**
 * Where Hydra sends the browser next. It comes from the admin API, but it
 * still has to lead to ISSUER or HYDRA_URL (Hydra's public URL): no open
 * redirects, whatever answers on the admin port.
 */
function checkedRedirect(operation: string, url: string): string {
  if (!isAllowedRedirect(url, appConfig().redirectOrigins)) {
    throw new HydraError("bad_response", `${operation}: redirect_to leaves the allowed origins`, {
      operation,
      redirectOrigin: new URL(url).origin,
    });
  }
  return url;
}

export function loadLogin(challenge: string): Promise<LoginRequest> {
  return admin().getLoginRequest(challenge);
}

/**
 * How long Hydra keeps a sign-in: `persistent` (Remember me ticked) for
 * REMEMBER_LOGIN_SECONDS, `browser` (unticked) for the browser session —
 * Hydra's `remember_for: 0`, a session cookie — as this app's own sessions
 * last without Remember me; `none` for a login Hydra said to skip, which it
 * remembers already.
 */
export type LoginMemory = "persistent" | "browser" | "none";

/** Accepts the sign-in of `subject`, remembered as `memory` says. */
export async function acceptLogin(challenge: string, subject: string, memory: LoginMemory): Promise<string> {
  const url = await admin().acceptLoginRequest(challenge, {
    subject,
    remember: memory !== "none",
    rememberFor: memory === "persistent" ? REMEMBER_LOGIN_SECONDS : 0,
    amr: AMR,
  });
  return checkedRedirect("accept login request", url);
}

/**
 * A login Hydra says to skip: accepted for the subject it remembers, when
 * that person still has an account here. For a deleted account Hydra's
 * remembered logins of that subject end, and this request is refused with
 * login_required, so the next one asks for a sign-in.
 */
export async function acceptRememberedLogin(request: LoginRequest): Promise<string> {
  if (await findUser(request.subject)) return acceptLogin(request.challenge, request.subject, "none");
  await admin().revokeLoginSessions(request.subject);
  const url = await admin().rejectLoginRequest(request.challenge, {
    error: "login_required",
    error_description: "The account Hydra remembers no longer exists",
  });
  return checkedRedirect("reject login request", url);
}

/** "Cancel" on the sign-in page: the app is told access_denied, as Hydra's reference app does. */
export async function cancelLogin(challenge: string): Promise<string> {
  const url = await admin().rejectLoginRequest(challenge, {
    error: "access_denied",
    error_description: "The person cancelled the sign-in",
  });
  return checkedRedirect("reject login request", url);
}

export interface PendingHydraConsent {
  request: ConsentRequest;
  /** The person the login step accepted, from this app's store. */
  user: User;
}

/** The consent request and its person; a subject this app does not know (deleted since) is `not_found`. */
export async function loadHydraConsent(challenge: string): Promise<PendingHydraConsent> {
  const request = await admin().getConsentRequest(challenge);
  const user = await findUser(request.subject);
  if (!user) {
    throw new HydraError("not_found", "get consent request: the subject is no longer a user here", {
      operation: "get consent request",
    });
  }
  return { request, user };
}

/**
 * Accepts for the request's own subject with the scopes ticked among those
 * asked for, every requested audience, and the ID token claims those scopes
 * allow (the same claims as the 2017 face gives).
 */
export async function acceptHydraConsent(
  { request, user }: PendingHydraConsent,
  ticked: readonly string[],
  remember: boolean,
): Promise<string> {
  const grantScope = scopesToGrant(request.requested_scope, ticked);
  const url = await admin().acceptConsentRequest(request.challenge, {
    grantScope,
    grantAudience: request.requested_access_token_audience,
    remember,
    rememberFor: REMEMBER_CONSENT_FOREVER,
    idToken: idTokenClaims(user, grantScope),
  });
  return checkedRedirect("accept consent request", url);
}

/**
 * When Hydra says `skip` (a remembered decision covers the request, or the
 * client is trusted), grants every requested scope and audience for the
 * person and answers where the browser goes; otherwise undefined (the
 * screen asks).
 */
export async function answerSkippedConsent(pending: PendingHydraConsent): Promise<string | undefined> {
  if (!pending.request.skip) return undefined;
  const to = await acceptHydraConsent(pending, pending.request.requested_scope, false);
  log().info("consent skipped: Hydra says it is given", { client: pending.request.client.id });
  return to;
}

/** "Deny": the app is told access_denied. */
export async function denyHydraConsent(challenge: string): Promise<string> {
  const url = await admin().rejectConsentRequest(challenge, {
    error: "access_denied",
    error_description: "The person denied the request",
  });
  return checkedRedirect("reject consent request", url);
}

export function loadHydraLogout(challenge: string) {
  return admin().getLogoutRequest(challenge);
}

/** "Sign out": Hydra ends its login session (and tells the apps); the answer is where to go next. */
export async function acceptHydraLogout(challenge: string): Promise<string> {
  return checkedRedirect("accept logout request", await admin().acceptLogoutRequest(challenge));
}

/** "Stay signed in". */
export async function rejectHydraLogout(challenge: string): Promise<void> {
  await admin().rejectLogoutRequest(challenge);
}

/** Logs a failed step and returns what the page shows; only the challenge's start goes to the log. */
export function stepProblem(error: unknown, challenge: string): ConsentProblem {
  return consentProblem(error, challenge);
}
