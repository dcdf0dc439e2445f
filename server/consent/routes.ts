import type { Context, Hono } from "hono";
import { readJson } from "@/server/http/body.ts";
import { ApiError } from "@/server/http/errors.ts";
import type { Services } from "@/server/services.ts";
import { acceptConsentRequestPayload, rejectConsentRequestPayload } from "./schemas.ts";
import type { ConsentRequest, ConsentRequests } from "./store.ts";

const resource = (id: string) => `rn:hydra:oauth2:consent:requests:${id}`;

/** The request if the consent app may still read or decide it: else 404, 410 or 409. */
async function decidable(consentRequests: ConsentRequests, id: string): Promise<ConsentRequest> {
  const request = await consentRequests.get(id);
  if (!request) throw ApiError.notFound(`No consent request with id ${id}`);
  const reason = consentRequests.undecidable(request);
  if (reason === "expired") throw new ApiError(410, "The consent request has expired");
  if (reason === "decided") throw ApiError.conflict("The consent request was already accepted or rejected");
  return request;
}

/** Explains a decision that changed nothing: unknown, expired or decided already. */
async function notDecided(consentRequests: ConsentRequests, id: string): Promise<never> {
  await decidable(consentRequests, id);
  throw ApiError.conflict("The consent request was already accepted or rejected");
}

export function consentRoutes(api: Hono, { guard, consentRequests }: Services) {
  // scope hydra.consent · rn:hydra:oauth2:consent:requests:<id> · get
  api.get("/oauth2/consent/requests/:id", async (c: Context) => {
    const id = c.req.param("id") as string;
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "get" });
    const request = await decidable(consentRequests, id);
    // The body carries the verifier: no cache may keep it.
    c.header("cache-control", "no-store");
    return c.json(consentRequests.toWire(request));
  });

  // scope hydra.consent · rn:hydra:oauth2:consent:requests:<id> · accept
  api.patch("/oauth2/consent/requests/:id/accept", async (c: Context) => {
    const id = c.req.param("id") as string;
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "accept" });
    const decision = await readJson(c, acceptConsentRequestPayload);
    const request = await decidable(consentRequests, id);
    const extra = decision.grantScopes.filter((scope) => !request.requestedScopes.includes(scope));
    if (extra.length > 0) {
      throw ApiError.badRequest(
        `grantScopes: ${extra.join(", ")} ${extra.length > 1 ? "were" : "was"} not requested`,
      );
    }
    if (!(await consentRequests.accept(id, decision))) await notDecided(consentRequests, id);
    return c.body(null, 204);
  });

  // scope hydra.consent · rn:hydra:oauth2:consent:requests:<id> · reject
  api.patch("/oauth2/consent/requests/:id/reject", async (c: Context) => {
    const id = c.req.param("id") as string;
    await guard(c, { scope: "hydra.consent", resource: resource(id), action: "reject" });
    const { reason } = await readJson(c, rejectConsentRequestPayload, {});
    if (!(await consentRequests.reject(id, reason))) await notDecided(consentRequests, id);
    return c.body(null, 204);
  });
}
