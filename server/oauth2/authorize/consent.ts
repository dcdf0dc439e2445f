import type { Context } from "hono";
import type { ConsentRequest } from "@/server/consent/store.ts";
import type { StepError } from "@/server/flow/model.ts";
import {
  AccessDenied,
  AccountSelectionRequired,
  ConsentRequired,
  InteractionRequired,
  InvalidRequest,
  LoginRequired,
  type OAuthError,
} from "@/server/oauth2/errors.ts";
import { responseParts } from "@/server/oauth2/response-types.ts";
import { OPENID_SCOPE } from "@/server/oauth2/scopes.ts";
import type { Services } from "@/server/services.ts";
import { bindingCookie, readBindingCookie } from "./binding.ts";
import type { AuthorizationRequest } from "./context.ts";
import { redirect } from "./respond.ts";

/**
 * The way out: store the consent request and send the browser to the
 * consent app, bound to it by a cookie only this browser holds.
 */
export async function startConsent(
  request: AuthorizationRequest,
  services: Services,
  evicted: string[] = [],
): Promise<Response> {
  const { consentRequests, config } = services;
  const { request: consent, binding } = await consentRequests.create({
    clientId: request.client.id,
    requestedScopes: request.scopes,
    parameters: request.parameters,
    oidc: request.oidc,
  });
  const location = new URL(config.consentUrl);
  location.searchParams.set("consent", consent.id);
  const secure = config.issuer.startsWith("https:");
  return redirect(location.toString(), [
    ...evicted,
    bindingCookie(consent.id, binding, consentRequests.lifespanSeconds, secure),
  ]);
}

interface Return {
  request: AuthorizationRequest;
  consent: ConsentRequest;
  /** The browser's binding cookie for this consent request. */
  binding: string | undefined;
  verifier: string | undefined;
  services: Services;
}

type ReturnCheck = (input: Return) => void;

function sameParameters(a: [string, string][], b: [string, string][]): boolean {
  return a.length === b.length && a.every(([name, value], i) => b[i]?.[0] === name && b[i]?.[1] === value);
}

/**
 * The way back, in order. Together the cookie and the verifier close the
 * consent-fixation hole of Hydra 0.10–0.11: a request started in one browser
 * cannot be completed in another (cookie), and knowing a request's id is not
 * enough to complete it (verifier: it only ever travels in `redirectUrl`,
 * from the consent app to the browser the user consented in).
 */
const RETURN_CHECKS: ReadonlyArray<readonly [name: string, check: ReturnCheck]> = [
  [
    "audience",
    ({ request, consent }) => {
      if (consent.clientId !== request.client.id) {
        throw new InvalidRequest("The consent request belongs to another client");
      }
    },
  ],
  [
    "same request",
    ({ request, consent }) => {
      if (!sameParameters(request.parameters, consent.parameters)) {
        throw new InvalidRequest("The consent request was made for a different authorization request");
      }
    },
  ],
  [
    "browser",
    ({ consent, binding, services }) => {
      if (!services.consentRequests.matchesBinding(consent, binding)) {
        throw new AccessDenied("The consent request was not started in this browser");
      }
    },
  ],
  [
    "verifier",
    ({ consent, verifier, services }) => {
      if (!services.consentRequests.matchesVerifier(consent, verifier)) {
        throw new AccessDenied("The consent verifier is missing or wrong");
      }
    },
  ],
  [
    "unexpired",
    ({ consent }) => {
      if (consent.expiresAt.getTime() <= Date.now())
        throw new InvalidRequest("The consent request has expired");
    },
  ],
  [
    "unused",
    ({ consent }) => {
      if (consent.usedAt) throw new InvalidRequest("The consent request was already used");
    },
  ],
  [
    "decided",
    ({ consent }) => {
      if (consent.status === "pending") throw new InvalidRequest("The consent request has not been decided");
    },
  ],
  [
    "openid granted",
    ({ request, consent }) => {
      const wantsIdToken = responseParts(request.responseType).idToken;
      if (consent.status === "accepted" && wantsIdToken && !consent.grantScopes.includes(OPENID_SCOPE)) {
        throw new AccessDenied("The openid scope, needed for the ID token, was not granted");
      }
    },
  ],
];

/**
 * Checks the returning browser against its consent request and answers the
 * accepted request, which issue.ts then uses once. A rejected request is used
 * up here and reaches the client as access_denied.
 */
export async function acceptedConsent(
  c: Context,
  request: AuthorizationRequest,
  consentId: string,
  verifier: string | undefined,
  services: Services,
): Promise<ConsentRequest> {
  const consent = await services.consentRequests.get(consentId);
  if (!consent) throw new InvalidRequest("The consent request is unknown");
  const input: Return = { request, consent, binding: readBindingCookie(c, consentId), verifier, services };
  for (const [, check] of RETURN_CHECKS) check(input);
  if (consent.status === "rejected") {
    if (!(await services.consentRequests.consume(consent.id))) {
      throw new InvalidRequest("The consent request was already used");
    }
    throw rejection(consent.rejectError ?? "access_denied");
  }
  return consent;
}

/** What a rejected login or consent step tells the client. */
export function rejection(error: StepError): OAuthError {
  switch (error) {
    case "login_required":
      return new LoginRequired();
    case "consent_required":
      return new ConsentRequired();
    case "interaction_required":
      return new InteractionRequired();
    case "account_selection_required":
      return new AccountSelectionRequired();
    default:
      return new AccessDenied("The resource owner denied the request");
  }
}
