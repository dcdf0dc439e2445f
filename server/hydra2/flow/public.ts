import type { Context } from "hono";
import type { ConsentRequest } from "@/server/consent/store.ts";
import { interactionRequired } from "@/server/flow/client-identity.ts";
import type { OidcContext, Prompt } from "@/server/flow/model.ts";
import { bindingCookie, clearedBindingCookie, readBindingCookie } from "@/server/oauth2/authorize/binding.ts";
import { rejection } from "@/server/oauth2/authorize/consent.ts";
import type { AuthorizationRequest } from "@/server/oauth2/authorize/context.ts";
import { issueAuthorizationResponse } from "@/server/oauth2/authorize/issue.ts";
import type { AuthorizationParameters } from "@/server/oauth2/authorize/parameters.ts";
import { redirect, respondToClient } from "@/server/oauth2/authorize/respond.ts";
import {
  AccessDenied,
  ConsentRequired,
  InvalidRequest,
  LoginRequired,
  OAuthError,
} from "@/server/oauth2/errors.ts";
import { responseParts } from "@/server/oauth2/response-types.ts";
import { OPENID_SCOPE } from "@/server/oauth2/scopes.ts";
import type { Services } from "@/server/services.ts";
import { clearedLoginSessionCookie, loginSessionCookie, readLoginSessionCookie } from "./login-sessions.ts";
import { idOfVerifier, type Step } from "./steps.ts";

/**
 * The prompt values this flow honours, which discovery publishes in this mode: it has no sign-up
 * step, so `create` is accepted (the login step as usual) but not promised.
 */
export const HYDRA2_PROMPT_VALUES: readonly Prompt[] = ["none", "login", "consent", "select_account"];

/**
 * Whether the consent step is shown with `skip`, unless the request says
 * prompt=consent:
 *
 * - a trusted client (skip_consent): the operator vouched for it. Hydra
 *   hands that flag to the consent app whatever the client's redirect URI,
 *   and the app accepts without a screen; here `skip` says so.
 * - a remembered consent of the subject covering every requested scope —
 *   but for a public client only when its redirect URI proves its identity.
 *   RFC 6749 §10.2: without proof of the client's identity a request is
 *   handled as if nothing had been approved before, so another app claiming
 *   the same custom scheme cannot collect a code silently (Hydra's
 *   requestConsent does the same; with prompt=none it is consent_required).
 */
export async function consentSkipped(stored: ConsentRequest, services: Services): Promise<boolean> {
  if (stored.oidc.prompt.includes("consent") || !stored.subject) return false;
  const client = await services.clients.get(stored.clientId);
  if (!client) return false;
  if (client.skipConsent) return true;
  if (interactionRequired(stored, client)) return false;
  return services.hydra2Sessions.consentCovers(stored.subject, stored.clientId, stored.requestedScopes);
}

/**
 * Whether a remembered login may answer a request's login step (`skip`, which the app must accept
 * without a screen). Never with prompt=login, nor with prompt=select_account: OpenID Connect Core
 * §3.1.2.1 asks for the person's choice of account or an error, where Hydra skipped. With max_age
 * only while the time elapsed since its `auth_time` is at most max_age, measured to the
 * millisecond: such a login was made before this request, so max_age=0 always asks again, as
 * prompt=login does (and as in Hydra). Comparing whole seconds let a login made in the request's
 * own second stand for a new sign-in.
 */
function rememberedLoginCovers(oidc: OidcContext, authTime: Date, now: number): boolean {
  if (oidc.prompt.includes("login") || oidc.prompt.includes("select_account")) return false;
  return oidc.maxAge === undefined || authTime.getTime() + oidc.maxAge * 1000 >= now;
}

function sameParameters(a: [string, string][], b: [string, string][]): boolean {
  return a.length === b.length && a.every(([name, value], i) => b[i]?.[0] === name && b[i]?.[1] === value);
}

/**
 * The checks of a browser returning from a step, in order: the verifier
 * names a request of this client and this very authorization request, the
 * browser holds the request's binding cookie (Hydra's CSRF cookie: a
 * verifier replayed in another browser fails here), the verifier is the
 * step's, and the request has not expired.
 */
async function returning(
  c: Context,
  request: AuthorizationRequest,
  verifier: string,
  step: Step,
  services: Services,
): Promise<ConsentRequest> {
  const { consentRequests } = services;
  const id = idOfVerifier(verifier);
  const stored = id ? await consentRequests.get(id) : null;
  if (!stored) throw new AccessDenied(`The ${step} verifier is invalid`);
  if (stored.clientId !== request.client.id)
    throw new InvalidRequest(`The ${step} verifier belongs to another client`);
  if (!sameParameters(request.parameters, stored.parameters))
    throw new InvalidRequest(`The ${step} verifier was issued for a different authorization request`);
  if (!consentRequests.matchesBinding(stored, readBindingCookie(c, stored.id)))
    throw new AccessDenied("The flow was not started in this browser");
  if (!consentRequests.matchesStepVerifier(stored.id, step, verifier.slice(stored.id.length + 1)))
    throw new AccessDenied(`The ${step} verifier is invalid`);
  if (stored.expiresAt.getTime() <= Date.now()) throw new AccessDenied("The flow has expired");
  return stored;
}

/**
 * What the client is told of a rejected step: the app's own error and
 * description (with its hint), as Hydra forwards them; without a
 * description, the usual one of a known error.
 */
function appRejection(stored: ConsentRequest): OAuthError {
  const app = stored.rejection;
  if (app?.description) return new OAuthError(app.error, app.description);
  if (app && app.error !== stored.rejectError) return new OAuthError(app.error, "The request was rejected");
  return rejection(stored.rejectError ?? "access_denied");
}

/**
 * The login session a returning browser's request rests on — the remembered login that covered it
 * (skip), or the one its login step started — must not have been ended: the person may have ended
 * it meanwhile (signed out everywhere, on any instance), and nothing is then issued on its strength.
 */
async function loginLivesOn(stored: ConsentRequest, services: Services): Promise<void> {
  if (stored.loginSessionId !== null && (await services.hydra2Sessions.ended(stored.loginSessionId))) {
    throw new LoginRequired("The login session ended before the sign-in was complete; sign in again");
  }
}

/** A rejected step reaches the client as its error, once. */
async function rejected(stored: ConsentRequest, services: Services): Promise<never> {
  if (!(await services.consentRequests.consume(stored.id))) {
    throw new AccessDenied("The verifier was already used");
  }
  throw appRejection(stored);
}

/**
 * /oauth2/auth in Hydra 2.x mode (URLS_LOGIN and URLS_CONSENT), after every
 * check passed: a new request goes to the login app; back with the login
 * verifier, to the consent app; back with the consent verifier, the client
 * gets its answer. The engine's stored request carries the whole flow.
 */
export async function continueHydra2Flow(
  c: Context,
  request: AuthorizationRequest,
  params: AuthorizationParameters,
  services: Services,
  urls: { login: string; consent: string },
): Promise<Response> {
  const { consentRequests, hydra2Sessions, config } = services;
  const secure = config.issuer.startsWith("https:");
  const loginVerifier = params.single("login_verifier");
  const consentVerifier = params.single("consent_verifier");
  if (
    params.repeated.has("login_verifier") ||
    params.repeated.has("consent_verifier") ||
    (loginVerifier && consentVerifier)
  )
    throw new InvalidRequest("Send one verifier, once");

  if (loginVerifier === undefined && consentVerifier === undefined) {
    // A remembered login covers the request unless it asks for a new sign-in (prompt=login, max_age),
    // a choice of account (select_account) or names another person (id_token_hint); prompt=none
    // without one is login_required at once.
    const session = await hydra2Sessions.findLogin(readLoginSessionCookie(c));
    const hint = request.oidc.idTokenHint;
    const covering =
      session &&
      rememberedLoginCovers(request.oidc, session.signIn.authTime, Date.now()) &&
      (!hint || hint.subject === session.subject)
        ? session
        : undefined;
    if (!covering && request.oidc.prompt.includes("none")) throw new LoginRequired();
    const { request: stored, binding } = await consentRequests.create({
      clientId: request.client.id,
      requestedScopes: request.scopes,
      parameters: request.parameters,
      oidc: request.oidc,
    });
    if (covering) await consentRequests.setLoginSession(stored.id, covering.id, covering.subject);
    const location = new URL(urls.login);
    location.searchParams.set("login_challenge", stored.id);
    return redirect(location.toString(), [
      bindingCookie(stored.id, binding, consentRequests.lifespanSeconds, secure),
    ]);
  }

  if (loginVerifier !== undefined) {
    const stored = await returning(c, request, loginVerifier, "login", services);
    if (stored.status === "rejected" && !stored.loginVerifiedAt) return rejected(stored, services);
    await loginLivesOn(stored, services);
    // Everything that can fail comes before the verifier is used: the login session a new login starts
    // (every one does, as in Hydra: its id is the ID token's `sid`, which logout and back-channel logout
    // name), its cookie, the consent step's skip. The use and the session's insert are one transaction.
    // Only a remembered session goes into the browser's cookie; one that is not to be remembered also
    // drops any older remembered login from this browser.
    const started =
      !stored.loginSessionId && stored.subject && stored.signIn
        ? hydra2Sessions.newLogin(stored.id, stored.subject, stored.signIn, stored.loginRememberFor ?? 0)
        : undefined;
    // A skipped login accepted with extend_session_lifespan (its remember_for recorded): the remembered
    // login this browser's cookie names lives on from now, its update in the same transaction.
    const extended =
      stored.loginSessionId && stored.loginRememberFor !== null
        ? await hydra2Sessions.extending(
            readLoginSessionCookie(c),
            stored.loginSessionId,
            stored.loginRememberFor,
          )
        : undefined;
    const cookies: string[] = [];
    if (started) {
      cookies.push(
        stored.loginRememberFor !== null
          ? loginSessionCookie(started.secret, stored.loginRememberFor || undefined, secure)
          : clearedLoginSessionCookie(secure),
      );
    }
    if (extended)
      cookies.push(loginSessionCookie(extended.secret, stored.loginRememberFor || undefined, secure));
    const consentRequired = request.oidc.prompt.includes("none") && !(await consentSkipped(stored, services));
    // A new login session counts against its subject's cap (MAX_SESSIONS_PER_PERSON): the oldest past
    // it end in the same transaction (read again when one of them ended meanwhile), their apps told.
    let verified: boolean | "ended";
    let trimmed: string[];
    do {
      const trim = started ? await hydra2Sessions.trimming(started.session.subject) : undefined;
      trimmed = trim?.ended ?? [];
      verified = await consentRequests.verifyLogin(
        stored.id,
        started
          ? { loginSessionId: started.session.id, alongside: [started.insert, ...(trim?.deletes ?? [])] }
          : extended && stored.loginSessionId
            ? { loginSessionId: stored.loginSessionId, alongside: [extended.update] }
            : undefined,
      );
    } while (verified === "ended");
    if (!verified) {
      throw new AccessDenied("The login verifier was already used, or the login was not accepted");
    }
    for (const sid of trimmed)
      void services.backchannel.sessionsEnded({ sid, subject: stored.subject ?? undefined });
    if (consentRequired) throw new ConsentRequired();
    const location = new URL(urls.consent);
    location.searchParams.set("consent_challenge", stored.id);
    return redirect(location.toString(), cookies);
  }

  const stored = await returning(c, request, consentVerifier as string, "consent", services);
  if (!stored.loginVerifiedAt || stored.usedAt || stored.status === "pending") {
    throw new AccessDenied("The consent verifier was already used, or the consent was not given");
  }
  const cookies = [clearedBindingCookie(stored.id, secure)];
  if (stored.status === "rejected") return rejected(stored, services);
  await loginLivesOn(stored, services);
  if (responseParts(request.responseType).idToken && !stored.grantScopes.includes(OPENID_SCOPE)) {
    throw new AccessDenied("The openid scope, needed for the ID token, was not granted");
  }
  const response = await issueAuthorizationResponse(request, stored, services);
  return respondToClient(
    request.redirectUri,
    request.responseMode,
    { ...response, state: request.state, iss: config.issuer },
    cookies,
  );
}
