import type { Context } from "hono";
import type { ConsentRequest } from "@/server/consent/store.ts";
import { bindingCookie, clearedBindingCookie, readBindingCookie } from "@/server/oauth2/authorize/binding.ts";
import { rejection } from "@/server/oauth2/authorize/consent.ts";
import type { AuthorizationRequest } from "@/server/oauth2/authorize/context.ts";
import { issueAuthorizationResponse } from "@/server/oauth2/authorize/issue.ts";
import type { AuthorizationParameters } from "@/server/oauth2/authorize/parameters.ts";
import { redirect, respondToClient } from "@/server/oauth2/authorize/respond.ts";
import { AccessDenied, InvalidRequest } from "@/server/oauth2/errors.ts";
import { responseParts } from "@/server/oauth2/response-types.ts";
import { OPENID_SCOPE } from "@/server/oauth2/scopes.ts";
import type { Services } from "@/server/services.ts";
import { idOfVerifier, type Step } from "./steps.ts";

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

/** A rejected step reaches the client as its error, once. */
async function rejected(stored: ConsentRequest, services: Services): Promise<never> {
  if (!(await services.consentRequests.consume(stored.id))) {
    throw new AccessDenied("The verifier was already used");
  }
  throw rejection(stored.rejectError ?? "access_denied");
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
  const { consentRequests, config } = services;
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
    const { request: stored, binding } = await consentRequests.create({
      clientId: request.client.id,
      requestedScopes: request.scopes,
      parameters: request.parameters,
      oidc: request.oidc,
    });
    const location = new URL(urls.login);
    location.searchParams.set("login_challenge", stored.id);
    return redirect(location.toString(), [
      bindingCookie(stored.id, binding, consentRequests.lifespanSeconds, secure),
    ]);
  }

  if (loginVerifier !== undefined) {
    const stored = await returning(c, request, loginVerifier, "login", services);
    if (stored.status === "rejected" && !stored.loginVerifiedAt) return rejected(stored, services);
    if (!(await consentRequests.verifyLogin(stored.id))) {
      throw new AccessDenied("The login verifier was already used, or the login was not accepted");
    }
    const location = new URL(urls.consent);
    location.searchParams.set("consent_challenge", stored.id);
    return redirect(location.toString());
  }

  const stored = await returning(c, request, consentVerifier as string, "consent", services);
  if (!stored.loginVerifiedAt || stored.usedAt || stored.status === "pending") {
    throw new AccessDenied("The consent verifier was already used, or the consent was not given");
  }
  const cookies = [clearedBindingCookie(stored.id, secure)];
  if (stored.status === "rejected") return rejected(stored, services);
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
