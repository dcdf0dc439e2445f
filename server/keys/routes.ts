import type { Context, Hono } from "hono";
import { readJson } from "@/server/http/body.ts";
import { corsPreflight, publicCors } from "@/server/http/cors.ts";
import { ApiError } from "@/server/http/errors.ts";
import type { Requirement } from "@/server/http/guard.ts";
import { resourceId } from "@/server/http/ids.ts";
import type { Services } from "@/server/services.ts";
import { jwksDocument, READ_PUBLIC_KEYS } from "./jwks.ts";
import { createJsonWebKeySetPayload, jsonWebKey, jsonWebKeySet } from "./schemas.ts";

/**
 * The set and kid of a path, checked before they go into a resource name
 * (printable ASCII only, see resourceId). A set name with ":" would make
 * `rn:hydra:keys:<set>:<kid>` ambiguous too: a policy on
 * `rn:hydra:keys:s1:<.*>` would also cover a set named "s1:x".
 */
function keySet(set: string): string {
  resourceId("key set", set);
  if (set.includes(":")) throw ApiError.badRequest("A key set name may not contain ':'");
  return set;
}
const keyId = (kid: string) => resourceId("kid", kid);

export function keyRoutes(api: Hono, { keys, guard, publicGuard }: Services) {
  /**
   * Reads that fall back to the anonymous subject: a public key a policy lets
   * anyone read is served with any token or none, as Hydra did. When neither the token nor the anonymous subject may
   * read, the plain guard answers 401 or 403 as for any admin call.
   */
  const allowRead = async (c: Context, requirement: Requirement) => {
    if (!(await publicGuard(c, requirement))) await guard(c, requirement);
  };
  const read = (resource: string): Requirement => ({ scope: "hydra.keys.get", resource, action: "get" });

  // scope hydra.keys.get · rn:hydra:keys:<set>:<kid> · get, per key, each with the anonymous fallback
  api.get("/keys/:set", async (c) => {
    const set = keySet(c.req.param("set"));
    const stored = await keys.getSet(set);
    if (stored.length === 0) {
      // Only a caller who may read the set as a whole learns that it does not exist.
      await allowRead(c, read(`rn:hydra:keys:${set}`));
      throw ApiError.notFound(`No key set ${set}`);
    }
    const visible = [];
    for (const key of stored) {
      if (await publicGuard(c, read(`rn:hydra:keys:${set}:${key.kid}`))) visible.push(key);
    }
    if (visible.length === 0) {
      await guard(c, read(`rn:hydra:keys:${set}:${stored[0]?.kid}`));
      throw ApiError.forbidden(`No key of ${set} may be read`);
    }
    return c.json({ keys: visible });
  });

  // scope hydra.keys.get · rn:hydra:keys:<set>:<kid> · get, with the anonymous fallback
  api.get("/keys/:set/:kid", async (c) => {
    const set = keySet(c.req.param("set"));
    const kid = keyId(c.req.param("kid"));
    await allowRead(c, read(`rn:hydra:keys:${set}:${kid}`));
    const key = await keys.getKey(set, kid);
    if (!key) throw ApiError.notFound(`No key ${kid} in set ${set}`);
    return c.json({ keys: [key] });
  });

  // scope hydra.keys.create · rn:hydra:keys:<set>:<kid> · create, kid from the payload
  api.post("/keys/:set", async (c) => {
    const set = keySet(c.req.param("set"));
    const { alg, kid } = await readJson(c, createJsonWebKeySetPayload);
    // The public-JWKs policy lets anyone read `…:public`: a generated secret never goes under such a kid.
    if (alg.startsWith("HS") && kid.startsWith("public")) {
      throw ApiError.badRequest(
        `Key ${kid}: a kid starting with public names a public key, but ${alg} makes a secret`,
      );
    }
    await guard(c, { scope: "hydra.keys.create", resource: `rn:hydra:keys:${set}:${kid}`, action: "create" });
    const created = await keys.generate(set, alg, kid);
    c.header("location", `/keys/${encodeURIComponent(set)}`);
    return c.json({ keys: created }, 201);
  });

  // scope hydra.keys.update · rn:hydra:keys:<set> · update
  api.put("/keys/:set", async (c) => {
    const set = keySet(c.req.param("set"));
    await guard(c, { scope: "hydra.keys.update", resource: `rn:hydra:keys:${set}`, action: "update" });
    const body = await readJson(c, jsonWebKeySet);
    return c.json({ keys: await keys.replaceSet(set, body.keys) });
  });

  // scope hydra.keys.update · rn:hydra:keys:<set>:<kid> · update
  api.put("/keys/:set/:kid", async (c) => {
    const kid = keyId(c.req.param("kid"));
    const set = keySet(c.req.param("set"));
    await guard(c, { scope: "hydra.keys.update", resource: `rn:hydra:keys:${set}:${kid}`, action: "update" });
    const key = await readJson(c, jsonWebKey);
    if (key.kid !== undefined && key.kid !== kid)
      throw ApiError.badRequest("The kid in the body differs from the path");
    return c.json(await keys.putKey(set, { ...key, kid }));
  });

  // scope hydra.keys.delete · rn:hydra:keys:<set> · delete
  api.delete("/keys/:set", async (c) => {
    const set = keySet(c.req.param("set"));
    await guard(c, { scope: "hydra.keys.delete", resource: `rn:hydra:keys:${set}`, action: "delete" });
    if (!(await keys.deleteSet(set))) throw ApiError.notFound(`No key set ${set}`);
    return c.body(null, 204);
  });

  // scope hydra.keys.delete · rn:hydra:keys:<set>:<kid> · delete
  api.delete("/keys/:set/:kid", async (c) => {
    const set = keySet(c.req.param("set"));
    const kid = keyId(c.req.param("kid"));
    await guard(c, { scope: "hydra.keys.delete", resource: `rn:hydra:keys:${set}:${kid}`, action: "delete" });
    if (!(await keys.deleteKey(set, kid))) throw ApiError.notFound(`No key ${kid} in set ${set}`);
    return c.body(null, 204);
  });

  // scope hydra.keys.get · rn:hydra:keys:hydra.openid.id-token:public · get, with the anonymous fallback
  // (without a token, the server answers it before the router: keys/jwks.ts) · CORS from any origin
  api.use("/.well-known/jwks.json", publicCors);
  // A browser preflights the GET when the app adds a header (an HTTP interceptor's Authorization).
  api.options("/.well-known/jwks.json", () => corsPreflight("GET"));
  api.get("/.well-known/jwks.json", async (c) => {
    await allowRead(c, READ_PUBLIC_KEYS);
    return c.body((await jwksDocument(keys)).body, 200, { "content-type": "application/json" });
  });
}
