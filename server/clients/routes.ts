import type { Hono } from "hono";
import { readIntegerQuery, readJson } from "@/server/http/body.ts";
import { ApiError } from "@/server/http/errors.ts";
import { resourceId } from "@/server/http/ids.ts";
import type { Services } from "@/server/services.ts";
import { type Client, toWire } from "./model.ts";
import { type OAuth2ClientInput, oAuth2ClientInput } from "./schemas.ts";

/**
 * Marking a client trusted (skip_consent) lets it act for people without
 * asking them, so it takes a permission of its own beyond writing clients:
 * rn:hydra:clients:skip_consent / set. Root has it; a client that may only
 * manage its own clients does not.
 */
async function guardSkipConsent(
  guard: Services["guard"],
  c: Parameters<Services["guard"]>[0],
  input: OAuth2ClientInput,
  existing: Client | null,
): Promise<void> {
  if (input.skip_consent === undefined || input.skip_consent === (existing?.skipConsent ?? false)) return;
  await guard(c, { scope: "hydra.clients", resource: "rn:hydra:clients:skip_consent", action: "set" });
}

export function clientRoutes(api: Hono, { clients, guard }: Services) {
  // scope hydra.clients · rn:hydra:clients · get
  // The 2017 operation has no paging: it lists every client. `offset` and `limit` (at most 500) are
  // an addition that pages the same list; without `limit` nothing is left out.
  api.get("/clients", async (c) => {
    await guard(c, { scope: "hydra.clients", resource: "rn:hydra:clients", action: "get" });
    const offset = readIntegerQuery(c, "offset", 0);
    const limit = c.req.query("limit") ? readIntegerQuery(c, "limit", 500, 500) : undefined;
    return c.json((await clients.list(offset, limit)).map(toWire));
  });

  // scope hydra.clients · rn:hydra:clients · create · context owner
  api.post("/clients", async (c) => {
    const input = await readJson(c, oAuth2ClientInput, {});
    await guard(c, {
      scope: "hydra.clients",
      resource: "rn:hydra:clients",
      action: "create",
      context: { owner: input.owner },
    });
    await guardSkipConsent(guard, c, input, null);
    const { client, secret } = await clients.create(input);
    c.header("location", `/clients/${encodeURIComponent(client.id)}`);
    return c.json({ ...toWire(client), ...(secret !== undefined ? { client_secret: secret } : {}) }, 201);
  });

  // scope hydra.clients · rn:hydra:clients:<id> · get · context owner
  api.get("/clients/:id", async (c) => {
    const id = resourceId("client id", c.req.param("id"));
    const stored = () => clients.get(id, c.var.snapshot);
    await guard(c, {
      scope: "hydra.clients",
      resource: `rn:hydra:clients:${id}`,
      action: "get",
      context: async () => ({ owner: (await stored())?.owner ?? "" }),
    });
    const client = await stored();
    if (!client) throw ApiError.notFound(`No client with id ${id}`);
    return c.json(toWire(client));
  });

  // scope hydra.clients · rn:hydra:clients · update · context owner (the stored and the new one)
  api.put("/clients/:id", async (c) => {
    const id = resourceId("client id", c.req.param("id"));
    const input = await readJson(c, oAuth2ClientInput);
    const stored = () => clients.get(id, c.var.snapshot);
    const need = { scope: "hydra.clients", resource: "rn:hydra:clients", action: "update" };
    await guard(c, { ...need, context: async () => ({ owner: (await stored())?.owner ?? input.owner }) });
    const existing = await stored();
    if (existing && existing.owner !== input.owner)
      await guard(c, { ...need, context: { owner: input.owner } });
    if (!existing) throw ApiError.notFound(`No client with id ${id}`);
    await guardSkipConsent(guard, c, input, existing);
    if (input.id !== undefined && input.id !== id)
      throw ApiError.badRequest("The id in the body differs from the path");
    return c.json(toWire(await clients.update(id, input)));
  });

  // scope hydra.clients · rn:hydra:clients:<id> · delete · context owner
  api.delete("/clients/:id", async (c) => {
    const id = resourceId("client id", c.req.param("id"));
    const stored = () => clients.get(id, c.var.snapshot);
    await guard(c, {
      scope: "hydra.clients",
      resource: `rn:hydra:clients:${id}`,
      action: "delete",
      context: async () => ({ owner: (await stored())?.owner ?? "" }),
    });
    const client = await stored();
    if (!client || !(await clients.delete(id))) throw ApiError.notFound(`No client with id ${id}`);
    return c.body(null, 204);
  });
}
