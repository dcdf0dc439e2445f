import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import { z } from "zod";
import { readAdminJson } from "@/server/hydra2/http/body.ts";
import { AdminError } from "@/server/hydra2/http/errors.ts";
import { GENERATED_ALGORITHMS, generateKeys, isGeneratedAlgorithm } from "@/server/keys/generate.ts";
import { jsonWebKey, jsonWebKeySet } from "@/server/keys/schemas.ts";
import type { Services } from "@/server/services.ts";

/** createJsonWebKeySet's body. An empty kid gets a random UUID, as Hydra does. */
const createJsonWebKeySet = z.object({
  alg: z.string().max(16),
  kid: z
    .string()
    .max(255)
    .regex(/^[\x20-\x7E]*$/, "kid may hold only printable ASCII characters"),
  use: z.enum(["sig", "enc"], "use must be sig or enc"),
});

/**
 * The same rule as the 2017 API's, which shares the store: a set name with
 * ":" would make a 2017 policy resource `rn:hydra:keys:<set>:<kid>` ambiguous.
 */
function writableSet(set: string): string {
  if (set.includes(":")) throw AdminError.invalidRequest("A key set name may not contain ':'");
  return set;
}

/** The 2.x key operations (Hydra's JwkApi), over the store the 2017 `/keys` uses. */
export function keyRoutes(api: Hono, { keys }: Services) {
  // getJsonWebKeySet: every key of the set, private ones included (this is the admin API).
  api.get("/admin/keys/:set", async (c) => {
    const set = c.req.param("set");
    const stored = await keys.getSet(set);
    if (stored.length === 0) throw AdminError.notFound(`The key set ${set} does not exist`);
    return c.json({ keys: stored });
  });

  // getJsonWebKey: answers a set holding the one key.
  api.get("/admin/keys/:set/:kid", async (c) => {
    const { set, kid } = c.req.param();
    const key = await keys.getKey(set, kid);
    if (!key) throw AdminError.notFound(`The key ${kid} of set ${set} does not exist`);
    return c.json({ keys: [key] });
  });

  // createJsonWebKeySet: generates one key (the private key of a pair, or a secret) and adds it.
  api.post("/admin/keys/:set", async (c) => {
    const set = writableSet(c.req.param("set"));
    const body = await readAdminJson(c, createJsonWebKeySet);
    if (!isGeneratedAlgorithm(body.alg)) {
      throw AdminError.invalidRequest(`alg must be one of ${GENERATED_ALGORITHMS.join(", ")}`);
    }
    // generateKeys answers the private key (or the secret) first; its public half is derivable from it.
    const [generated] = await generateKeys(body.alg, "");
    if (!generated) throw new Error("no key was generated");
    const key = { ...generated, kid: body.kid || randomUUID(), use: body.use };
    await keys.insert(set, [key]);
    return c.json({ keys: [key] }, 201);
  });

  // setJsonWebKeySet: replaces the whole set with the keys sent.
  api.put("/admin/keys/:set", async (c) => {
    const set = writableSet(c.req.param("set"));
    const body = await readAdminJson(c, jsonWebKeySet);
    return c.json({ keys: await keys.replaceSet(set, body.keys) });
  });

  // setJsonWebKey: creates or replaces the key named by the body's kid (the path's kid when it has none).
  api.put("/admin/keys/:set/:kid", async (c) => {
    const set = writableSet(c.req.param("set"));
    const key = await readAdminJson(c, jsonWebKey);
    return c.json(await keys.putKey(set, { ...key, kid: key.kid ?? c.req.param("kid") }));
  });

  // deleteJsonWebKeySet
  api.delete("/admin/keys/:set", async (c) => {
    const set = c.req.param("set");
    if (!(await keys.deleteSet(set))) throw AdminError.notFound(`The key set ${set} does not exist`);
    return c.body(null, 204);
  });

  // deleteJsonWebKey
  api.delete("/admin/keys/:set/:kid", async (c) => {
    const { set, kid } = c.req.param();
    if (!(await keys.deleteKey(set, kid)))
      throw AdminError.notFound(`The key ${kid} of set ${set} does not exist`);
    return c.body(null, 204);
  });
}
