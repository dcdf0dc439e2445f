import { createHmac } from "node:crypto";
import { verify } from "@node-rs/bcrypt";
import { LRUCache } from "lru-cache";
import type { Client } from "@/server/clients/model.ts";
import type { ClientStore } from "@/server/clients/store.ts";
import type { Snapshot } from "@/server/http/snapshot.ts";
import { InvalidClient, InvalidRequest } from "./errors.ts";

interface BasicCredentials {
  id: string;
  secret: string;
}

function decodeForm(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** HTTP Basic credentials; malformed ones are an invalid client (RFC 6749 §5.2). */
export function parseBasic(header: string | undefined): BasicCredentials | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) throw new InvalidClient("The Authorization header is not valid HTTP Basic");
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) throw new InvalidClient("The Authorization header is not valid HTTP Basic");
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Both readings of a Basic value: raw, and form-urlencoded as RFC 6749 §2.3.1 says. */
function readings(value: string): string[] {
  const decoded = decodeForm(value);
  return decoded === undefined || decoded === value ? [value] : [value, decoded];
}

/** The methods `authenticate` accepts at the token endpoint; discovery publishes them. */
export const TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"] as const;

/**
 * Authenticates the calling client: `client_secret_basic`, `client_secret_post`,
 * or, for public clients, `client_id` alone (`none`).
 *
 * A bcrypt verify costs tens of milliseconds, so a successful verification is
 * remembered under a keyed hash of (client id, presented secret, stored hash):
 * the memory holds no secret, and it empties itself for a client whose secret
 * changes because the stored hash is part of the key.
 */
export class ClientAuthenticator {
  // Bounded: the least recently used verification goes first.
  private readonly verified = new LRUCache<string, true>({ max: 10_000 });

  constructor(
    private readonly clients: ClientStore,
    private readonly cacheKey: Buffer,
  ) {}

  /** `snapshot`: the request's, which the client store consults. */
  async authenticate(
    authorization: string | undefined,
    form: Map<string, string>,
    snapshot?: Snapshot,
  ): Promise<Client> {
    const lookup = (id: string) => this.clients.get(id, snapshot);
    const basic = parseBasic(authorization);
    const postedSecret = form.get("client_secret");
    const postedId = form.get("client_id");
    if (basic && postedSecret !== undefined) {
      throw new InvalidRequest("Use one client authentication method, not both");
    }
    if (basic) {
      if (postedId !== undefined && !readings(basic.id).includes(postedId)) {
        throw new InvalidRequest("client_id does not match the authenticated client");
      }
      const client = await this.verifySecret(readings(basic.id), readings(basic.secret), lookup);
      // A client registered for client_secret_post (Hydra 2.x) may not use Basic, and the reverse.
      if (client.tokenEndpointAuthMethod === "client_secret_post") throw new InvalidClient();
      return client;
    }
    if (postedId === undefined) throw new InvalidClient("Client authentication is required");
    if (postedSecret !== undefined) {
      const client = await this.verifySecret([postedId], [postedSecret], lookup);
      if (client.tokenEndpointAuthMethod === "client_secret_basic") throw new InvalidClient();
      return client;
    }
    const client = await lookup(postedId);
    if (!client?.public) throw new InvalidClient();
    return client;
  }

  private async verifySecret(
    ids: string[],
    secrets: string[],
    lookup: (id: string) => Promise<Client | null>,
  ): Promise<Client> {
    for (const id of ids) {
      const client = await lookup(id);
      if (!client) continue;
      if (client.public || !client.secretHash) throw new InvalidClient();
      for (const secret of secrets) {
        if (await this.matches(client, secret)) return client;
      }
      throw new InvalidClient();
    }
    throw new InvalidClient();
  }

  private async matches(client: Client, secret: string): Promise<boolean> {
    const hash = client.secretHash as string;
    const memo = createHmac("sha256", this.cacheKey)
      .update(`${client.id}\0${secret}\0${hash}`)
      .digest("base64url");
    if (this.verified.has(memo)) return true;
    if (secret.length > 72 || !(await verify(secret, hash).catch(() => false))) return false;
    this.verified.set(memo, true);
    return true;
  }
}
