/**
 * The consent app's login and consent steps for the 2017 face, table-driven:
 * prompt=none never shows a page, prompt=login and max_age want a recent
 * sign-in, id_token_hint names the only acceptable person, select_account
 * asks once, prompt=consent always asks, and a trusted client or a
 * remembered decision answers otherwise.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { consentStep, type Person } from "@/lib/consent/steps.ts";
import type { OAuth2Client, OAuth2ConsentRequest } from "@/lib/hydra/schemas.ts";

const requestedAt = new Date("2026-12-06T07:00:00Z");
const at = (secondsAfterRequest: number) => Math.floor(requestedAt.getTime() / 1000) + secondsAfterRequest;

function request(extra: Partial<OAuth2ConsentRequest> = {}): OAuth2ConsentRequest {
  return {
    id: "c1",
    audience: "app",
    requestedScopes: ["openid", "profile"],
    redirectUrl: "http://localhost/oauth2/auth?consent=c1",
    prompt: [],
    uiLocales: [],
    acrValues: [],
    requestedAt,
    maxAge: undefined,
    loginHint: undefined,
    idTokenHintSubject: undefined,
    interactionRequired: false,
    ...extra,
  };
}

const client: OAuth2Client = {
  id: "app",
  client_name: "App",
  client_uri: "",
  logo_uri: "",
  policy_uri: "",
  tos_uri: "",
  skip_consent: false,
};
const trusted = { ...client, skip_consent: true };
const ann: Person = { id: "ann", authTime: at(-3600) };
/** Signed in from this request's own sign-in page. */
const fresh: Person = { id: "ann", authTime: at(2), signedInFor: "c1" };
/** Signed in in the very second the request was made, but not for it (another tab, just before). */
const sameSecond: Person = { id: "ann", authTime: at(0) };
/** Signed in after the request, for another request: still not a sign-in this request asked for. */
const forAnother: Person = { id: "ann", authTime: at(5), signedInFor: "c2" };

describe("the consent app's steps", () => {
  const cases: Array<[string, Parameters<typeof consentStep>[0], ReturnType<typeof consentStep>]> = [
    [
      "nobody signed in",
      { request: request(), client, person: null, accountChosen: false, remembered: undefined },
      { kind: "sign_in", reason: "signed_out" },
    ],
    [
      "prompt=none, nobody",
      {
        request: request({ prompt: ["none"] }),
        client,
        person: null,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "reject", error: "login_required" },
    ],
    [
      "prompt=none, no decision",
      {
        request: request({ prompt: ["none"] }),
        client,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "reject", error: "consent_required" },
    ],
    [
      "prompt=none, a covering decision",
      {
        request: request({ prompt: ["none"] }),
        client,
        person: ann,
        accountChosen: false,
        remembered: ["openid", "profile", "email"],
      },
      { kind: "accept", because: "remembered" },
    ],
    [
      "prompt=none, a narrower decision",
      {
        request: request({ prompt: ["none"] }),
        client,
        person: ann,
        accountChosen: false,
        remembered: ["openid"],
      },
      { kind: "reject", error: "consent_required" },
    ],
    [
      "prompt=none, trusted client",
      {
        request: request({ prompt: ["none"] }),
        client: trusted,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "accept", because: "trusted" },
    ],
    [
      "prompt=none, the hint names someone else",
      {
        request: request({ prompt: ["none"], idTokenHintSubject: "bob" }),
        client: trusted,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "reject", error: "login_required" },
    ],
    [
      "the hint names someone else",
      {
        request: request({ idTokenHintSubject: "bob" }),
        client,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "sign_in", reason: "other_account" },
    ],
    [
      "the hint names the person",
      {
        request: request({ idTokenHintSubject: "ann" }),
        client,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "ask" },
    ],
    [
      "prompt=login, an old sign-in",
      {
        request: request({ prompt: ["login"] }),
        client: trusted,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "sign_in", reason: "stale" },
    ],
    [
      "prompt=login, a sign-in after the request",
      {
        request: request({ prompt: ["login"] }),
        client: trusted,
        person: fresh,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "accept", because: "trusted" },
    ],
    [
      "prompt=login, a sign-in in the same second but not made for it",
      {
        request: request({ prompt: ["login"] }),
        client: trusted,
        person: sameSecond,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "sign_in", reason: "stale" },
    ],
    [
      "prompt=login, a later sign-in made for another request",
      {
        request: request({ prompt: ["login"] }),
        client: trusted,
        person: forAnother,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "sign_in", reason: "stale" },
    ],
    [
      "max_age=0, a sign-in made for this request",
      { request: request({ maxAge: 0 }), client, person: fresh, accountChosen: false, remembered: undefined },
      { kind: "ask" },
    ],
    [
      "max_age=0, a sign-in in the same second but not made for it",
      {
        request: request({ maxAge: 0 }),
        client,
        person: sameSecond,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "sign_in", reason: "stale" },
    ],
    [
      "max_age=0, an old sign-in",
      { request: request({ maxAge: 0 }), client, person: ann, accountChosen: false, remembered: undefined },
      { kind: "sign_in", reason: "stale" },
    ],
    [
      "max_age=7200, an hour-old sign-in",
      {
        request: request({ maxAge: 7200 }),
        client,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "ask" },
    ],
    [
      "max_age=60, an hour-old sign-in",
      { request: request({ maxAge: 60 }), client, person: ann, accountChosen: false, remembered: undefined },
      { kind: "sign_in", reason: "stale" },
    ],
    [
      "select_account, not chosen",
      {
        request: request({ prompt: ["select_account"] }),
        client,
        person: ann,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "sign_in", reason: "select_account" },
    ],
    [
      "select_account, continued as",
      {
        request: request({ prompt: ["select_account"] }),
        client,
        person: ann,
        accountChosen: true,
        remembered: undefined,
      },
      { kind: "ask" },
    ],
    [
      "select_account, signed in anew",
      {
        request: request({ prompt: ["select_account"] }),
        client,
        person: fresh,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "ask" },
    ],
    [
      "select_account, a sign-in in the same second but not made for it",
      {
        request: request({ prompt: ["select_account"] }),
        client,
        person: sameSecond,
        accountChosen: false,
        remembered: undefined,
      },
      { kind: "sign_in", reason: "select_account" },
    ],
    [
      "prompt=consent over a trusted client",
      {
        request: request({ prompt: ["consent"] }),
        client: trusted,
        person: ann,
        accountChosen: false,
        remembered: ["openid", "profile"],
      },
      { kind: "ask" },
    ],
    [
      "a trusted client",
      { request: request(), client: trusted, person: ann, accountChosen: false, remembered: undefined },
      { kind: "accept", because: "trusted" },
    ],
    [
      "a remembered decision",
      { request: request(), client, person: ann, accountChosen: false, remembered: ["openid", "profile"] },
      { kind: "accept", because: "remembered" },
    ],
    [
      "a remembered decision, for a client any app could pose as",
      {
        request: request({ interactionRequired: true }),
        client,
        person: ann,
        accountChosen: false,
        remembered: ["openid", "profile"],
      },
      { kind: "ask" },
    ],
    [
      "a remembered decision, for a client any app could pose as, with prompt=none",
      {
        request: request({ interactionRequired: true, prompt: ["none"] }),
        client,
        person: ann,
        accountChosen: false,
        remembered: ["openid", "profile"],
      },
      { kind: "reject", error: "consent_required" },
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => assert.deepEqual(consentStep(input), expected));
  }
});
