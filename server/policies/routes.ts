import type { Hono } from "hono";
import { readIntegerQuery, readJson } from "@/server/http/body.ts";
import { ApiError } from "@/server/http/errors.ts";
import { resourceId } from "@/server/http/ids.ts";
import type { Services } from "@/server/services.ts";
import { policyInput } from "./schemas.ts";

const SCOPE = "hydra.policies";

export function policyRoutes(api: Hono, { policies, guard }: Services) {
  // scope hydra.policies · rn:hydra:policies · list
  api.get("/policies", async (c) => {
    await guard(c, { scope: SCOPE, resource: "rn:hydra:policies", action: "list" });
    const offset = readIntegerQuery(c, "offset", 0);
    const limit = readIntegerQuery(c, "limit", 500, 500);
    return c.json(await policies.list(offset, limit));
  });

  // scope hydra.policies · rn:hydra:policies · create
  api.post("/policies", async (c) => {
    await guard(c, { scope: SCOPE, resource: "rn:hydra:policies", action: "create" });
    const policy = await policies.create(await readJson(c, policyInput));
    c.header("location", `/policies/${encodeURIComponent(policy.id)}`);
    return c.json(policy, 201);
  });

  // scope hydra.policies · rn:hydra:policies:<id> · get
  api.get("/policies/:id", async (c) => {
    const id = resourceId("policy id", c.req.param("id"));
    await guard(c, { scope: SCOPE, resource: `rn:hydra:policies:${id}`, action: "get" });
    const policy = await policies.get(id);
    if (!policy) throw ApiError.notFound(`No policy with id ${id}`);
    return c.json(policy);
  });

  // scope hydra.policies · rn:hydra:policies · update (as Hydra's API documents it; Hydra's code used rn:hydra:policies:<id>)
  api.put("/policies/:id", async (c) => {
    const id = resourceId("policy id", c.req.param("id"));
    await guard(c, { scope: SCOPE, resource: "rn:hydra:policies", action: "update" });
    const input = await readJson(c, policyInput);
    if (input.id !== undefined && input.id !== id)
      throw ApiError.badRequest("The id in the body differs from the path");
    return c.json(await policies.update(id, input));
  });

  // scope hydra.policies · rn:hydra:policies:<id> · delete
  api.delete("/policies/:id", async (c) => {
    const id = resourceId("policy id", c.req.param("id"));
    await guard(c, { scope: SCOPE, resource: `rn:hydra:policies:${id}`, action: "delete" });
    await policies.delete(id);
    return c.body(null, 204);
  });
}
