import type { Context, Hono } from "hono";
import { resourceId } from "@/server/http/ids.ts";
import type { Services } from "@/server/services.ts";
import type { SubjectGrant } from "./store.ts";

const grantsResource = (subject: string) => `rn:hydra:oauth2:auth:sessions:consent:${subject}`;

/** The wire form of one entry of a subject's grants. */
function toWire(grant: SubjectGrant) {
  return {
    client_id: grant.clientId,
    scope: grant.scopes.join(" "),
    granted_at: grant.grantedAt.toISOString(),
  };
}

/**
 * Additive operations (not in the 2017 API) for the login & consent app to
 * see and take back what a person granted, and to tell the server that a
 * person was deleted. Same scope and warden rules as the consent requests.
 */
export function subjectRoutes(api: Hono, { guard, subjectGrants, backchannel }: Services) {
  // scope hydra.consent · rn:hydra:oauth2:auth:sessions:consent:<subject> · get
  api.get("/oauth2/auth/sessions/consent/:subject", async (c: Context) => {
    const subject = resourceId("subject", c.req.param("subject") as string);
    await guard(c, { scope: "hydra.consent", resource: grantsResource(subject), action: "get" });
    return c.json((await subjectGrants.list(subject)).map(toWire));
  });

  // scope hydra.consent · rn:hydra:oauth2:auth:sessions:consent:<subject> · delete
  api.delete("/oauth2/auth/sessions/consent/:subject", async (c: Context) => {
    const subject = resourceId("subject", c.req.param("subject") as string);
    await guard(c, { scope: "hydra.consent", resource: grantsResource(subject), action: "delete" });
    await subjectGrants.revoke(subject);
    return c.body(null, 204);
  });

  // scope hydra.consent · rn:hydra:oauth2:auth:sessions:consent:<subject>:<client> · delete
  api.delete("/oauth2/auth/sessions/consent/:subject/:client", async (c: Context) => {
    const subject = resourceId("subject", c.req.param("subject") as string);
    const client = resourceId("client id", c.req.param("client") as string);
    await guard(c, {
      scope: "hydra.consent",
      resource: `${grantsResource(subject)}:${client}`,
      action: "delete",
    });
    await subjectGrants.revoke(subject, client);
    return c.body(null, 204);
  });

  // scope hydra.consent · rn:hydra:oauth2:auth:subjects:<subject> · delete
  api.delete("/oauth2/auth/subjects/:subject", async (c: Context) => {
    const subject = resourceId("subject", c.req.param("subject") as string);
    await guard(c, {
      scope: "hydra.consent",
      resource: `rn:hydra:oauth2:auth:subjects:${subject}`,
      action: "delete",
    });
    await subjectGrants.markDeleted(subject);
    // The person is gone, and with them every session: each app they signed in to is told
    // (back-channel logout, in the background; it never delays or fails this answer).
    void backchannel.sessionsEnded({ subject });
    return c.body(null, 204);
  });
}
