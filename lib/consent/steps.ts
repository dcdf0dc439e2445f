import { provesClientIdentity } from "@/common/client-identity.ts";
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

/**
 * The signed-in person, as the steps need them: their id, their sign-in's
 * time (seconds), and the consent request that sign-in was made for, if any.
 */
export interface Person {
  id: string;
  authTime: number;
  signedInFor?: string;
}

/**
 * Whether the login step is satisfied for this request (OpenID Connect Core
 * §3.1.2.1, which the 2017 face leaves to this app): somebody is signed in,
 * the person id_token_hint names, and — for prompt=login, max_age=0 and
 * select_account — through a sign-in made for this very request (known by
 * the request's id, never by comparing clocks: a sign-in in the same second
 * as the request is not one made for it) or, for select_account, after
 * choosing the account for it (`accountChosen`). A positive max_age is
 * measured against the request's own time.
 */
export function signInNeeded(
  request: OAuth2ConsentRequest,
  person: Person | null,
  accountChosen: boolean,
  now: Date = new Date(),
): SignInReason | undefined {
  if (!person) return "signed_out";
  if (request.idTokenHintSubject && request.idTokenHintSubject !== person.id) return "other_account";
  if (person.signedInFor === request.id) return undefined;
  const bound = request.prompt.includes("login") ? 0 : request.maxAge;
  if (bound !== undefined) {
    const requestedAt = Math.floor((request.requestedAt ?? now).getTime() / 1000);
    if (bound === 0 || person.authTime + bound < requestedAt) return "stale";
  }
  if (request.prompt.includes("select_account") && !accountChosen) return "select_account";
  return undefined;
}

/** What the consent page does with a request once the person is signed in (or must be). */
type ConsentStep =
  | { kind: "sign_in"; reason: SignInReason }
  | { kind: "reject"; error: "login_required" | "consent_required" }
  | { kind: "accept"; because: "remembered" | "trusted" }
  | { kind: "ask" };

/**
 * Whether a remembered decision must not answer for the person: Portico says
 * so (`interactionRequired`); another server (Hydra 1.0.0-alpha1) does not,
 * so the app asks the same of the client it read there: a public client
 * whose redirect URI — the one the request named, or its only registered
 * one — any app could claim (RFC 6749 §10.2, RFC 8252 §8.6).
 */
function interactionRequired(request: OAuth2ConsentRequest, client: OAuth2Client): boolean {
  if (request.interactionRequired) return true;
  if (client.public !== true) return false;
  const named = URL.canParse(request.redirectUrl)
    ? new URL(request.redirectUrl).searchParams.get("redirect_uri") || undefined
    : undefined;
  const registered = client.redirect_uris ?? [];
  return !provesClientIdentity(named ?? (registered.length === 1 ? registered[0] : undefined));
}

/**
 * The order of the login and consent steps. prompt=none never shows a page:
 * a missing sign-in is login_required, a missing decision consent_required.
 * prompt=consent always asks, even a trusted client and over a remembered
 * decision; otherwise a trusted client (skip_consent) or a remembered
 * decision covering every requested scope answers for the person — the
 * latter not when the server says the request needs the person
 * (`interactionRequired`: a client any app could pose as).
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
    if (remembered && !interactionRequired(request, client) && coveredBy(request.requestedScopes, remembered))
      return { kind: "accept", because: "remembered" };
  }
  return none ? { kind: "reject", error: "consent_required" } : { kind: "ask" };
}
