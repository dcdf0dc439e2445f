/**
 * The authorization flow's engine model, free of any wire format.
 *
 * An authorization request passes a login step (who is signed in, and when
 * they signed in), a consent step (what they let the client have) and, for
 * sign-out, a logout step. Each is a stored request that a login & consent
 * app answers. The 2017 face (consent requests at CONSENT_URL?consent=…)
 * answers the login and the consent step in one decision, because its app
 * signs people in itself; another face may answer them one by one. Both
 * read and write these types; only the faces know field names on the wire.
 */

/** OpenID Connect Core §3.1.2.1 `prompt` values, plus `create` (Initiating User Registration, §4). */
export const PROMPT_VALUES = ["none", "login", "consent", "select_account", "create"] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

/** What the authorization request asked of the sign-in; the app reads it to decide what to show. */
export interface OidcContext {
  /** Empty when the request sent no `prompt`. */
  prompt: Prompt[];
  /** Seconds: a sign-in older than this (at the time of the request) is not enough. */
  maxAge?: number;
  /** A hint at the email to prefill; never trusted as who signs in. */
  loginHint?: string;
  /** The verified `sub` (and `sid`) of an ID token this issuer signed, sent as `id_token_hint`. */
  idTokenHint?: { subject: string; sid?: string };
  uiLocales: string[];
  acrValues: string[];
}

export const EMPTY_OIDC_CONTEXT: OidcContext = { prompt: [], uiLocales: [], acrValues: [] };

/** The sign-in an accepted login step rests on. */
export interface SignIn {
  /** When the person last entered their credentials (OpenID Connect `auth_time`). */
  authTime: Date;
  /** Authentication methods (RFC 8176), e.g. `["pwd"]`. */
  amr: string[];
  acr?: string;
  /** The app's session id (OpenID Connect `sid`): which sign-in back-channel logout ends. */
  sid?: string;
}

/**
 * The errors a login or consent step may answer with instead of a decision
 * (OpenID Connect Core §3.1.2.6). Any other rejection is `access_denied`.
 */
export const STEP_ERRORS = [
  "access_denied",
  "login_required",
  "consent_required",
  "interaction_required",
  "account_selection_required",
] as const;
export type StepError = (typeof STEP_ERRORS)[number];

/** Whether the request needs a sign-in no older than the request itself (prompt=login, max_age). */
export function freshSignInBound(context: OidcContext): number | undefined {
  if (context.prompt.includes("login")) return 0;
  return context.maxAge;
}

/**
 * Whether a sign-in satisfies prompt=login and max_age: its time plus the
 * allowed age must reach the request's own time (both in whole seconds, as
 * `auth_time` is), so `max_age=0` and `prompt=login` need a sign-in made
 * after the request.
 */
export function signInFreshEnough(context: OidcContext, authTime: Date, requestedAt: Date): boolean {
  const bound = freshSignInBound(context);
  if (bound === undefined) return true;
  return Math.floor(authTime.getTime() / 1000) + bound >= Math.floor(requestedAt.getTime() / 1000);
}
