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
