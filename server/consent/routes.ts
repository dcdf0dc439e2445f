import type { Context, Hono } from "hono";
import { consentScreenFields } from "@/server/clients/model.ts";
import { interactionRequired } from "@/server/flow/client-identity.ts";
import { type SignIn, signInFreshEnough } from "@/server/flow/model.ts";
import { readJson } from "@/server/http/body.ts";
import { ApiError } from "@/server/http/errors.ts";
import { resourceId } from "@/server/http/ids.ts";
import type { Services } from "@/server/services.ts";
import {
  type AcceptConsentRequestPayload,
  acceptConsentRequestPayload,
  rejectConsentRequestPayload,
} from "./schemas.ts";
import type { ConsentRequest, ConsentRequests } from "./store.ts";

const resource = (id: string) => `rn:hydra:oauth2:consent:requests:${id}`;

/**
 * The request id of a path, checked before it goes into the resource name and
 * the database, as every other id of the API is (resourceId): a U+0000 in it
 * was a 500 on PostgreSQL, and a separator could make a resource name that a
 * policy reads differently. Ids are 22 characters; 64 leaves room, as for
 * logout requests.
 */
const requestId = (c: Context) => resourceId("The consent request id", c.req.param("id") as string, 64);

/**
 * The request if the consent app may still read or decide it: else 404, 410 or 409. `answered` adds
 * members to the 409's body (an addition the caller documents).
 */
async function decidable(
  consentRequests: ConsentRequests,
  id: string,
  answered?: (request: ConsentRequest) => Promise<Record<string, unknown> | undefined>,
): Promise<ConsentRequest> {
  const request = await consentRequests.get(id);
  if (!request) throw ApiError.notFound(`No consent request with id ${id}`);
  const reason = consentRequests.undecidable(request);
  if (reason === "expired") throw new ApiError(410, "The consent request has expired");
  if (reason === "decided")
    throw new ApiError(
      409,
      "The consent request was already accepted or rejected",
      await answered?.(request),
    );
  return request;
}

/** Explains a decision that changed nothing: unknown, expired or decided already. */
async function notDecided(consentRequests: ConsentRequests, id: string): Promise<never> {
  await decidable(consentRequests, id);
  throw ApiError.conflict("The consent request was already accepted or rejected");
}

/** A sign-in time this far ahead of our clock is a clock problem, not a sign-in. */
const CLOCK_SKEW_MS = 60_000;

/**
 * The sign-in an acceptance claims, held against what the request asked:
 * prompt=login and max_age need an `authTime` recent enough, and an
 * id_token_hint names the only person who may be signed in. Without
 * `authTime` (a 2017 consent app) the decision's time stands in for it.
 */
function checkedSignIn(request: ConsentRequest, decision: AcceptConsentRequestPayload): SignIn {
  const { oidc } = request;
  if (oidc.idTokenHint && oidc.idTokenHint.subject !== decision.subject) {
    throw ApiError.badRequest("subject is not the person the request's id_token_hint names");
  }
  if (!decision.authTime && (oidc.prompt.includes("login") || oidc.maxAge !== undefined)) {
    throw ApiError.badRequest("authTime is required: the request asked for prompt=login or max_age");
  }
  const authTime = decision.authTime ?? new Date();
  if (authTime.getTime() > Date.now() + CLOCK_SKEW_MS) throw ApiError.badRequest("authTime is in the future");
  if (!signInFreshEnough(oidc, authTime, request.requestedAt)) {
    throw ApiError.badRequest("authTime is older than the request allows (prompt=login or max_age)");
  }
  return { authTime, amr: decision.amr, acr: decision.acr, sid: decision.sid };
}

export function consentRoutes(api: Hono, { guard, consentRequests, clients }: Services) {
  // scope hydra.consent · rn:hydra:oauth2:consent:requests:<id> · get
  api.get("/oauth2/consent/requests/:id", async (c: Context) => {
    const id = requestId(c);
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "get" });
    const includeClient = c.req.query("include") === "client";
    const request = await decidable(consentRequests, id, async (answered) => {
      // Addition, with ?include=client only: whose request was answered, beside the 409's error, so
      // that the consent app can offer a person who comes back to it (Back, a reload) a way to that app.
      if (!includeClient) return undefined;
      const client = await clients.get(answered.clientId, c.var.snapshot);
      return client ? { client: consentScreenFields(client) } : undefined;
    });
    // With ?include=client (an addition to the 2017 API) the client comes along as its consent
    // screen shows it, so the consent app needs no second call; without it the body is the 2017
    // model. The rest of the client stays behind GET /clients/{id}.
    const client = await clients.get(request.clientId, c.var.snapshot);
    // The body carries the verifier: no cache may keep it.
    c.header("cache-control", "no-store");
    return c.json({
      ...consentRequests.toWire(request),
      ...(client && includeClient ? { client: consentScreenFields(client) } : {}),
      // Addition, only when it holds: a remembered decision must not answer for the person.
      ...(client && interactionRequired(request, client) ? { interactionRequired: true } : {}),
    });
  });

  // scope hydra.consent · rn:hydra:oauth2:consent:requests:<id> · get
  // Addition: the decision on a request not used yet (409 while pending or once used, 410 expired).
  api.get("/oauth2/consent/requests/:id/decision", async (c: Context) => {
    const id = requestId(c);
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "get" });
    const request = await consentRequests.get(id);
    if (!request) throw ApiError.notFound(`No consent request with id ${id}`);
    if (request.status === "pending") throw ApiError.conflict("The consent request is not decided yet");
    if (request.usedAt) throw ApiError.conflict("The consent request was already used");
    if (request.expiresAt.getTime() <= Date.now()) throw new ApiError(410, "The consent request has expired");
    c.header("cache-control", "no-store");
    return c.json(consentRequests.decisionToWire(request));
  });

  // scope hydra.consent · rn:hydra:oauth2:consent:requests:<id> · accept
  api.patch("/oauth2/consent/requests/:id/accept", async (c: Context) => {
    const id = requestId(c);
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "accept" });
    const decision = await readJson(c, acceptConsentRequestPayload);
    const request = await decidable(consentRequests, id);
    const extra = decision.grantScopes.filter((scope) => !request.requestedScopes.includes(scope));
    if (extra.length > 0) {
      throw ApiError.badRequest(
        `grantScopes: ${extra.join(", ")} ${extra.length > 1 ? "were" : "was"} not requested`,
      );
    }
    const signIn = checkedSignIn(request, decision);
    const accepted = await consentRequests.accept(id, {
      subject: decision.subject,
      grantScopes: decision.grantScopes,
      accessTokenExtra: decision.accessTokenExtra,
      idTokenExtra: decision.idTokenExtra,
      signIn,
    });
    if (!accepted) await notDecided(consentRequests, id);
    return c.body(null, 204);
  });

  // scope hydra.consent · rn:hydra:oauth2:consent:requests:<id> · reject
  api.patch("/oauth2/consent/requests/:id/reject", async (c: Context) => {
    const id = requestId(c);
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "reject" });
    const { reason, error } = await readJson(c, rejectConsentRequestPayload, {});
    if (!(await consentRequests.reject(id, reason, error))) await notDecided(consentRequests, id);
    return c.body(null, 204);
  });
}
