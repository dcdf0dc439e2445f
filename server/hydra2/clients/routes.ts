import jsonPatch, { type Operation } from "fast-json-patch";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { Client, ClientExtensions } from "@/server/clients/model.ts";
import type { OAuth2ClientInput } from "@/server/clients/schemas.ts";
import { ClientChanged } from "@/server/clients/store.ts";
import { ApiError } from "@/server/http/errors.ts";
import { readAdminJson } from "@/server/hydra2/http/body.ts";
import { AdminError } from "@/server/hydra2/http/errors.ts";
import type { Services } from "@/server/services.ts";
import { keepUnpatched, toStoreInput, toV2Wire } from "./model.ts";
import { oAuth2ClientBody } from "./schemas.ts";

const DEFAULT_PAGE_SIZE = 250;
/** A patch is applied again to the client as it is now at most this often before it is a 409. */
const PATCH_ATTEMPTS = 20;
const MAX_PAGE_SIZE = 1000;

/** JSON Patch (RFC 6902) operations, as jsonPatchDocument describes them. */
const jsonPatchDocument = z
  .array(
    z.object({
      op: z.enum(["add", "remove", "replace", "move", "copy", "test"], "op must be an RFC 6902 operation"),
      path: z.string().max(1024),
      from: z.string().max(1024).optional(),
      value: z.unknown().optional(),
    }),
  )
  .max(100);

/**
 * Whether an operation may change the top-level member: it writes the member
 * or below it, takes it away (`move` from it), or replaces the whole document.
 * `test` and the source of `copy` only read.
 */
function patchesMember(operations: Operation[], member: string): boolean {
  const within = (pointer: string | undefined) =>
    pointer !== undefined &&
    (pointer === "" || pointer === `/${member}` || pointer.startsWith(`/${member}/`));
  return operations.some(
    (operation) =>
      operation.op !== "test" &&
      (within(operation.path) || (operation.op === "move" && within(operation.from))),
  );
}

/** The store input of `client` with the JSON Patch applied (as GET answers it; a patched client_secret is set). */
function patchedClient(
  id: string,
  client: Client,
  operations: Operation[],
): { input: OAuth2ClientInput; extensions: ClientExtensions } {
  // client_secret is there (empty: kept) so that `replace /client_secret` sets a new one.
  const current = { ...toV2Wire(client), client_secret: "" };
  let patched: unknown;
  try {
    // validate() throws (rather than answers) on a write to __proto__ or constructor/prototype.
    const invalid = jsonPatch.validate(operations, current);
    if (invalid) throw invalid;
    patched = jsonPatch.applyPatch(current, operations, false, false, true).newDocument;
  } catch (error) {
    // The library's own errors say what is wrong; anything else (a TypeError from inside it, e.g. a
    // move into the value's own child, which RFC 6902 §4.4 forbids) is no message for a caller.
    const message =
      error instanceof jsonPatch.JsonPatchError
        ? error.message.split("\n")[0]
        : "an operation cannot be applied to this client (RFC 6902)";
    throw AdminError.invalidRequest(`The JSON Patch cannot be applied: ${message}`);
  }
  const parsed = oAuth2ClientBody.safeParse(patched);
  if (!parsed.success)
    throw AdminError.invalidClientMetadata(parsed.error.issues[0]?.message ?? "invalid client");
  if (parsed.data.client_id !== id) throw AdminError.invalidRequest("client_id cannot be changed");
  const { input, extensions } = toStoreInput(parsed.data);
  const patches = (member: string) => patchesMember(operations, member);
  return { input, extensions: keepUnpatched(client, extensions, patches) };
}

/** The client rules the shared store enforces, in Hydra's words for a client. */
async function inStore<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ApiError && error.code === 400)
      throw AdminError.invalidClientMetadata(error.message);
    throw error;
  }
}

/** Page tokens are opaque to callers: the last id of the page, base64url-encoded. */
function encodePageToken(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

/**
 * The id a page token names. Only a token this server could have issued is
 * taken: one that decodes to no UTF-8 text (it would not encode back the
 * same) or to U+0000 (PostgreSQL's text refuses it in the query, a 500
 * there) is a 400, like any malformed token.
 */
function decodePageToken(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(token)) throw AdminError.invalidRequest("page_token is not valid");
  const id = Buffer.from(token, "base64url").toString("utf8");
  if (id.includes("\0") || encodePageToken(id) !== token)
    throw AdminError.invalidRequest("page_token is not valid");
  return id;
}

function readPageSize(c: Context): number {
  const raw = c.req.query("page_size");
  if (raw === undefined || raw === "") return DEFAULT_PAGE_SIZE;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE_SIZE) {
    throw AdminError.invalidRequest(`page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  return Number(raw);
}

/** The Link header of Hydra's keyset pagination: `first`, and `next` while there are more. */
function linkHeader(path: string, query: URLSearchParams, next: string | undefined): string {
  const link = (token: string | undefined, rel: string) => {
    const params = new URLSearchParams(query);
    params.delete("page_token");
    if (token !== undefined) params.set("page_token", token);
    return `<${path}?${params.toString()}>; rel="${rel}"`;
  };
  const links = [link(undefined, "first")];
  if (next !== undefined) links.push(link(encodePageToken(next), "next"));
  return links.join(",");
}

/** The 2.x client operations (Hydra's OAuth2Api), over the store the 2017 `/clients` uses. */
export function clientRoutes(api: Hono, { clients }: Services) {
  const getClient = async (id: string) => {
    const client = await clients.get(id);
    if (!client) throw AdminError.notFound(`The client ${id} does not exist`);
    return client;
  };

  const replace = async (
    id: string,
    input: OAuth2ClientInput,
    extensions: ClientExtensions,
    unchangedSince?: Date,
  ) => {
    const client = await inStore(() => clients.update(id, { ...input, id }, extensions, unchangedSince));
    return toV2Wire(client, input.public ? undefined : input.client_secret);
  };

  // listOAuth2Clients
  api.get("/admin/clients", async (c) => {
    const size = readPageSize(c);
    const token = c.req.query("page_token");
    const page = await clients.page({
      size,
      after: token ? decodePageToken(token) : undefined,
      clientName: c.req.query("client_name") || undefined,
      owner: c.req.query("owner") || undefined,
    });
    const query = new URLSearchParams({ page_size: String(size) });
    for (const name of ["client_name", "owner"]) {
      const value = c.req.query(name);
      if (value) query.set(name, value);
    }
    c.header("link", linkHeader("/admin/clients", query, page.next));
    return c.json(page.clients.map((client) => toV2Wire(client)));
  });

  // createOAuth2Client
  api.post("/admin/clients", async (c) => {
    const body = await readAdminJson(c, oAuth2ClientBody, AdminError.invalidClientMetadata);
    const { input, extensions } = toStoreInput(body);
    const { client, secret } = await inStore(() => clients.create(input, extensions));
    return c.json(toV2Wire(client, secret), 201);
  });

  // getOAuth2Client
  api.get("/admin/clients/:id", async (c) => c.json(toV2Wire(await getClient(c.req.param("id")))));

  // setOAuth2Client: the body replaces the client; without client_secret the stored one is kept.
  api.put("/admin/clients/:id", async (c) => {
    const id = c.req.param("id");
    const body = await readAdminJson(c, oAuth2ClientBody, AdminError.invalidClientMetadata);
    await getClient(id);
    const { input, extensions } = toStoreInput({ ...body, client_id: id });
    return c.json(await replace(id, input, extensions));
  });

  // patchOAuth2Client: JSON Patch on the client as GET answers it; a patched client_secret is set.
  // The patch is applied to the client as read and written only if nobody wrote it since (any
  // process, any instance); else it is applied again to the client as it is now. Two patches at
  // once both apply, and a patch never undoes a write that came between its read and its write
  // (a redirect URI one patch removed coming back with the other's).
  api.patch("/admin/clients/:id", async (c) => {
    const id = c.req.param("id");
    const operations = (await readAdminJson(c, jsonPatchDocument)) as Operation[];
    for (let attempt = 1; ; attempt++) {
      const client = await getClient(id);
      const { input, extensions } = patchedClient(id, client, operations);
      try {
        return c.json(await replace(id, input, extensions, client.updatedAt));
      } catch (error) {
        if (!(error instanceof ClientChanged)) throw error;
        if (attempt >= PATCH_ATTEMPTS)
          throw AdminError.conflict(`The client ${id} keeps changing; apply the patch again`);
      }
    }
  });

  // deleteOAuth2Client: the client with every code and token issued to it.
  api.delete("/admin/clients/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await clients.delete(id))) throw AdminError.notFound(`The client ${id} does not exist`);
    return c.body(null, 204);
  });
}
