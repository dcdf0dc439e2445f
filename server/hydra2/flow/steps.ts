import type { ConsentRequest, ConsentRequests } from "@/server/consent/store.ts";

/**
 * How the Hydra 2.x face names the engine's stored request and its two
 * steps. The challenge of both steps is the request's id (each step's
 * operations only answer while the request is in that step); a verifier is
 * `<id>.<secret>`, the secret derived per step, so it names its request and
 * only the party that was handed the redirect can present it.
 */
export type Step = "login" | "consent";

function verifierFor(requests: ConsentRequests, id: string, step: Step): string {
  return `${id}.${requests.stepVerifier(id, step)}`;
}

/** The request id a verifier names, when the verifier is well formed. */
export function idOfVerifier(verifier: string): string | undefined {
  const match = /^([A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{43}$/.exec(verifier);
  return match?.[1];
}

/** The authorization request as the client sent it (Hydra's `request_url`). */
export function requestUrl(authorizationEndpoint: string, request: ConsentRequest): string {
  return `${authorizationEndpoint}?${new URLSearchParams(request.parameters)}`;
}

/**
 * Whether the answer of a step the request went past or answered can still be used: its verifier was
 * not presented yet (a login's: the consent step has not started; a consent's, or a rejected login's:
 * the client has not had its answer).
 */
function answerUnused(request: ConsentRequest, step: Step): boolean {
  return request.usedAt === null && (step === "consent" || request.loginVerifiedAt === null);
}

/**
 * Where the 410 of an answered step sends the browser: while its answer is unused, the step's
 * verifier, as accept and reject said (the flow can still finish); once it was used, the authorization
 * request itself, as Ory Hydra 2.x answers — following it starts the flow over, where a used verifier
 * would only bring the client access_denied.
 */
export function goneUrl(
  authorizationEndpoint: string,
  requests: ConsentRequests,
  request: ConsentRequest,
  step: Step,
): string {
  return answerUnused(request, step)
    ? returnUrl(authorizationEndpoint, requests, request, step)
    : requestUrl(authorizationEndpoint, request);
}

/** Where the browser goes once a step is answered: back to /oauth2/auth with the step's verifier. */
export function returnUrl(
  authorizationEndpoint: string,
  requests: ConsentRequests,
  request: ConsentRequest,
  step: Step,
) {
  const query = new URLSearchParams([
    ...request.parameters,
    [`${step}_verifier`, verifierFor(requests, request.id, step)],
  ]);
  return `${authorizationEndpoint}?${query}`;
}
