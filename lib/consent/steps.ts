import type { OAuth2Client, OAuth2ConsentRequest } from "@/lib/hydra/schemas.ts";
import { coveredBy } from "./scopes.ts";

/** Why the person must (again) go through the sign-in page before this request can be answered. */
export type SignInReason =
  /** Nobody is signed in. */
  | "signed_out"
  /** The app asked for a sign-in newer than the current one (prompt=login, max_age). */
  | "stale"
  /** The app's id_token_hint names someone other than the signed-in person. */
  | "other_account"
  /** prompt=select_account: offer to continue as the signed-in person or use another account. */
  | "select_account";

/** The signed-in person, as the steps need them: their id and their sign-in's time (seconds). */
export interface Person {
  id: string;
  authTime: number;
}

/**
 * Whether the login step is satisfied for this request (OpenID Connect Core
 * §3.1.2.1, which the 2017 face leaves to this app): somebody is signed in,
 * recently enough for prompt=login and max_age, the person id_token_hint
 * names, and — for select_account — who chose this account for this request
 * (`accountChosen`) or signed in after it was made.
 */
export function signInNeeded(
  request: OAuth2ConsentRequest,
  person: Person | null,
  accountChosen: boolean,
): SignInReason | undefined {
  if (!person) return "signed_out";
  if (request.idTokenHintSubject && request.idTokenHintSubject !== person.id) return "other_account";
  const requestedAt = request.requestedAt ? Math.floor(request.requestedAt.getTime() / 1000) : undefined;
  if (requestedAt !== undefined) {
    const bound = request.prompt.includes("login") ? 0 : request.maxAge;
    if (bound !== undefined && person.authTime + bound < requestedAt) return "stale";
    if (request.prompt.includes("select_account") && !accountChosen && person.authTime < requestedAt) {
      return "select_account";
    }
  }
  return undefined;
}

/** What the consent page does with a request once the person is signed in (or must be). */
type ConsentStep =
  | { kind: "sign_in"; reason: SignInReason }
  | { kind: "reject"; error: "login_required" | "consent_required" }
  | { kind: "accept"; because: "remembered" | "trusted" }
  | { kind: "ask" };

/**
 * The order of the login and consent steps. prompt=none never shows a page:
 * a missing sign-in is login_required, a missing decision consent_required.
 * prompt=consent always asks, even a trusted client and over a remembered
 * decision; otherwise a trusted client (skip_consent) or a remembered
 * decision covering every requested scope answers for the person.
 */
export function consentStep(input: {
  request: OAuth2ConsentRequest;
  client: OAuth2Client;
  person: Person | null;
  accountChosen: boolean;
  remembered: readonly string[] | undefined;
}): ConsentStep {
  const { request, client, person, accountChosen, remembered } = input;
  const none = request.prompt.includes("none");
  const reason = signInNeeded(request, person, accountChosen);
  if (reason) return none ? { kind: "reject", error: "login_required" } : { kind: "sign_in", reason };
  if (!request.prompt.includes("consent")) {
    if (client.skip_consent) return { kind: "accept", because: "trusted" };
    if (remembered && coveredBy(request.requestedScopes, remembered))
      return { kind: "accept", because: "remembered" };
  }
  return none ? { kind: "reject", error: "consent_required" } : { kind: "ask" };
}
