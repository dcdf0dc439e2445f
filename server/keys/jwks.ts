import type { ServerResponse } from "node:http";
import { PUBLIC_CORS } from "@/server/http/cors.ts";
import { allowsAnonymous, type Requirement } from "@/server/http/guard.ts";
import type { Services } from "@/server/services.ts";
import { ID_TOKEN_KEY_SET, type KeyStore } from "./store.ts";

export const JWKS_PATH = "/.well-known/jwks.json";

/** Reading the keys that verify ID tokens (scope hydra.keys.get · rn:hydra:keys:hydra.openid.id-token:public · get). */
export const READ_PUBLIC_KEYS: Requirement = {
  scope: "hydra.keys.get",
  resource: `rn:hydra:keys:${ID_TOKEN_KEY_SET}:public`,
  action: "get",
};

const serialised = new WeakMap<object, { body: string; length: number }>();

/** The JWKS document. The store hands out the same set object until the set changes: serialise it once per change. */
export async function jwksDocument(keys: KeyStore): Promise<{ body: string; length: number }> {
  const set = await keys.publicIdTokenJwks();
  let document = serialised.get(set);
  if (document === undefined) {
    const body = JSON.stringify(set);
    document = { body, length: Buffer.byteLength(body) };
    serialised.set(set, document);
  }
  return document;
}

/**
 * `GET /.well-known/jwks.json` without a token, answered before the router.
 * Every relying party polls this document, and the router's request and
 * response objects cost more than the answer itself. The answer is the
 * route's (keys/routes.ts), byte for byte: the warden is asked about the
 * anonymous subject on every request, so a policy change applies at once.
 * Resolves false, having written nothing, when the warden refuses or anything
 * fails: the router then answers as always (its 401, or its 500 and log line).
 */
export function anonymousJwks({ keys, warden, snapshots, stats }: Services) {
  return async (res: ServerResponse): Promise<boolean> => {
    const started = performance.now();
    try {
      if (!(await allowsAnonymous(warden, READ_PUBLIC_KEYS, snapshots.create()))) return false;
      const { body, length } = await jwksDocument(keys);
      res.writeHead(200, { "content-type": "application/json", "Content-Length": length, ...PUBLIC_CORS });
      res.end(body);
    } catch {
      return false;
    }
    stats.record(200, performance.now() - started);
    return true;
  };
}
