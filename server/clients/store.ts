import { randomUUID } from "node:crypto";
import { hash } from "@node-rs/bcrypt";
import { boundedCache } from "@/common/bounded-cache.ts";
import { type Database, rawQueries } from "@/db/client.ts";
import { isUniqueViolation } from "@/db/errors.ts";
import { REVISION_ROW } from "@/db/raw.ts";
import type { Prisma, OAuth2Client as Row } from "@/generated/prisma/sqlite/client.ts";
import { ApiError } from "@/server/http/errors.ts";
import type { Snapshot } from "@/server/http/snapshot.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { markClientGrantsRevoked } from "@/server/tokens/revoked-grants.ts";
import { randomToken } from "@/server/tokens/secrets.ts";
import type { Client, ClientExtensions } from "./model.ts";
import type { OAuth2ClientInput } from "./schemas.ts";

const DEFAULT_SCOPE = "openid offline";

function fromRow(row: Row): Client {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secretHash,
    redirectUris: JSON.parse(row.redirectUris) as string[],
    grantTypes: JSON.parse(row.grantTypes) as string[],
    responseTypes: JSON.parse(row.responseTypes) as string[],
    scopes: splitScopes(row.scope),
    owner: row.owner,
    policyUri: row.policyUri,
    tosUri: row.tosUri,
    clientUri: row.clientUri,
    logoUri: row.logoUri,
    contacts: JSON.parse(row.contacts) as string[],
    public: row.public,
    createdAt: row.createdAt,
    skipConsent: row.skipConsent,
    postLogoutRedirectUris: JSON.parse(row.postLogoutRedirectUris) as string[],
    backchannelLogoutUri: row.backchannelLogoutUri,
    backchannelLogoutSessionRequired: row.backchannelLogoutSessionRequired,
    updatedAt: row.updatedAt,
    audience: JSON.parse(row.audience) as string[],
    tokenEndpointAuthMethod:
      row.tokenEndpointAuthMethod === "client_secret_basic" ||
      row.tokenEndpointAuthMethod === "client_secret_post"
        ? row.tokenEndpointAuthMethod
        : undefined,
    metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as unknown),
  };
}

function extensionColumns(extensions: ClientExtensions | undefined, isPublic: boolean) {
  // A public client has no secret to present: its method is `none`, which `public` says.
  if (!extensions) return isPublic ? { tokenEndpointAuthMethod: null } : {};
  return {
    audience: JSON.stringify(extensions.audience),
    tokenEndpointAuthMethod: isPublic ? null : (extensions.tokenEndpointAuthMethod ?? null),
    metadata: extensions.metadata === undefined ? null : JSON.stringify(extensions.metadata),
  };
}

/** A page of clients in id order (Hydra 2.x keyset pagination). */
interface ClientPage {
  clients: Client[];
  /** The id to continue after, when there are more. */
  next: string | undefined;
}

/** The rules a client must follow beyond its field types: a public client has no secret and no client_credentials. */
function checkRules(input: OAuth2ClientInput): void {
  if (input.public && input.grant_types.includes("client_credentials")) {
    throw ApiError.badRequest("A public client cannot use the client_credentials grant");
  }
  if (input.public && input.client_secret !== undefined) {
    throw ApiError.badRequest("A public client has no client_secret");
  }
}

function columns(input: OAuth2ClientInput) {
  return {
    name: input.client_name,
    redirectUris: JSON.stringify(input.redirect_uris),
    grantTypes: JSON.stringify(input.grant_types.length > 0 ? input.grant_types : ["authorization_code"]),
    responseTypes: JSON.stringify(input.response_types.length > 0 ? input.response_types : ["code"]),
    scope: splitScopes(input.scope).join(" ") || DEFAULT_SCOPE,
    owner: input.owner,
    policyUri: input.policy_uri,
    tosUri: input.tos_uri,
    clientUri: input.client_uri,
    logoUri: input.logo_uri,
    contacts: JSON.stringify(input.contacts),
    public: input.public,
    // Left out when absent: create takes the column defaults, update keeps what is stored.
    skipConsent: input.skip_consent,
    postLogoutRedirectUris:
      input.post_logout_redirect_uris === undefined
        ? undefined
        : JSON.stringify(input.post_logout_redirect_uris),
    backchannelLogoutUri: input.backchannel_logout_uri,
    backchannelLogoutSessionRequired: input.backchannel_logout_session_required,
  };
}

/** Bumped in the same transaction as every client write: what every process's cache checks. */
async function bumpRevision(tx: Prisma.TransactionClient): Promise<void> {
  await tx.clientRevision.upsert({
    where: { id: REVISION_ROW },
    create: { id: REVISION_ROW, revision: 1 },
    update: { revision: { increment: 1 } },
  });
}

/** A conditional update (ClientStore.update's `unchangedSince`) found the client written since: nothing was written. */
export class ClientChanged extends Error {
  constructor() {
    super("The client was changed since it was read");
  }
}

/** A client (or its absence) as read together with the client revision of the same statement. */
interface KeptClient {
  client: Client | null;
  revision: number;
}

/**
 * OAuth 2.0 clients. Each process keeps the clients it read, each with the
 * client revision read in the same statement; every client write bumps that
 * revision in its own transaction. A kept client answers only while its
 * revision is the request's (see server/http/snapshot.ts), so a write on any
 * instance applies to the next request everywhere.
 */
export class ClientStore {
  private readonly raw;
  // Bounded: the least recently used client goes first.
  private readonly cache = boundedCache<string, KeptClient>(10_000);

  constructor(
    private readonly db: Database,
    private readonly bcryptCost: number,
  ) {
    this.raw = rawQueries(db);
  }

  /**
   * The client as it is now: the kept copy when it was read at (or after)
   * the client revision of the request's snapshot, else read with the
   * revision in one statement. A snapshot that keeps clients takes the kept
   * copy unchecked; its write confirms it.
   */
  async get(id: string, snapshot?: Snapshot): Promise<Client | null> {
    const kept = this.cache.get(id);
    if (kept && snapshot?.keepsClients) {
      snapshot.handedOut(kept.revision, false);
      return kept.client;
    }
    if (kept) {
      // The revision alone is cheaper to read than the row and its JSON.
      const current = snapshot ? await snapshot.clientRevision() : await this.revision();
      if (kept.revision >= current) {
        snapshot?.handedOut(kept.revision, true);
        return kept.client;
      }
    }
    const read = await this.fetch(id);
    snapshot?.handedOut(read.revision, true);
    return read.client;
  }

  /** The client revision as it is in the database now. */
  async revision(): Promise<number> {
    return this.raw.clientRevision();
  }

  /** Reads the client and the client revision in one statement, and keeps them. */
  private async fetch(id: string): Promise<KeptClient> {
    const { client: row, clientRevision } = await this.raw.clientWithRevision(id);
    const read = { client: row ? fromRow(row) : null, revision: clientRevision };
    const kept = this.cache.get(id);
    if (!kept || !(kept.revision > clientRevision)) this.cache.set(id, read);
    return read;
  }

  /**
   * A page of clients in creation order. The id breaks ties: clients made in
   * the same millisecond had no order of their own, and PostgreSQL's sort
   * under LIMIT/OFFSET could then put one of them on two pages and none on
   * another. `limit` undefined: every client from `offset` on.
   */
  async list(offset = 0, limit?: number): Promise<Client[]> {
    const rows = await this.db.oAuth2Client.findMany({
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      skip: offset,
      take: limit,
    });
    return rows.map(fromRow);
  }

  /**
   * A page of clients in id order after `after` (exclusive), optionally only
   * those with exactly this name and/or owner.
   */
  async page(options: {
    size: number;
    after?: string;
    clientName?: string;
    owner?: string;
  }): Promise<ClientPage> {
    const rows = await this.db.oAuth2Client.findMany({
      where: {
        ...(options.after !== undefined ? { id: { gt: options.after } } : {}),
        ...(options.clientName !== undefined ? { name: options.clientName } : {}),
        ...(options.owner !== undefined ? { owner: options.owner } : {}),
      },
      orderBy: { id: "asc" },
      take: options.size + 1,
    });
    const more = rows.length > options.size;
    const clients = rows.slice(0, options.size).map(fromRow);
    return { clients, next: more ? clients.at(-1)?.id : undefined };
  }

  /**
   * Creates a client. Without a secret a confidential client gets a generated
   * one (≥ 26 URL-safe characters); the plain secret is returned once, here.
   */
  async create(
    input: OAuth2ClientInput,
    extensions?: ClientExtensions,
  ): Promise<{ client: Client; secret: string | undefined }> {
    checkRules(input);
    const secret = input.public ? undefined : (input.client_secret ?? randomToken(26));
    const secretHash = secret === undefined ? null : await hash(secret, this.bcryptCost);
    try {
      const row = await this.db.$transaction(async (tx) => {
        // Rows of an earlier client with this id can be left only by a request that raced its
        // deletion (a token inserted after its client check passed); they must not come back to
        // life with the new client.
        await forgetClientRows(tx, input.id);
        const created = await tx.oAuth2Client.create({
          data: {
            id: input.id ?? randomUUID(),
            secretHash,
            ...columns(input),
            ...extensionColumns(extensions, input.public),
          },
        });
        await bumpRevision(tx);
        return created;
      });
      return { client: fromRow(row), secret };
    } catch (error) {
      if (isUniqueViolation(error)) throw ApiError.conflict(`A client with id ${input.id} already exists`);
      throw error;
    }
  }

  /**
   * Replaces a client's fields. Without `client_secret` the stored secret is
   * kept. With `unchangedSince` (the `updatedAt` of the client the input was
   * made from) it writes only if nobody wrote the client since, else throws
   * ClientChanged and writes nothing: a read-modify-write (JSON Patch) must
   * not undo a write that came between its read and its write.
   */
  async update(
    id: string,
    input: OAuth2ClientInput,
    extensions?: ClientExtensions,
    unchangedSince?: Date,
  ): Promise<Client> {
    checkRules(input);
    const secretHash = input.public
      ? null
      : input.client_secret !== undefined
        ? await hash(input.client_secret, this.bcryptCost)
        : undefined;
    // Keeping the stored secret needs one: a public client made confidential must be given one.
    const keepsStoredSecret = !input.public && secretHash === undefined;
    return this.db.$transaction(async (tx) => {
      // The write comes first, its conditions in its WHERE: on SQLite it takes the write lock at
      // once (a read first would make the write fail busy whenever another process wrote in
      // between), and on PostgreSQL the conditions are checked against the row as any write that
      // came first left it. A conditional write moves updatedAt past the value it matched, so a
      // later patch made from that value cannot match again (clocks of instances may differ).
      const { count } = await tx.oAuth2Client.updateMany({
        where: {
          id,
          ...(unchangedSince !== undefined ? { updatedAt: unchangedSince } : {}),
          ...(keepsStoredSecret ? { secretHash: { not: null } } : {}),
        },
        data: {
          ...columns(input),
          ...extensionColumns(extensions, input.public),
          ...(secretHash !== undefined ? { secretHash } : {}),
          updatedAt: new Date(Math.max(Date.now(), (unchangedSince?.getTime() ?? 0) + 1)),
        },
      });
      if (count === 0) {
        const existing = await tx.oAuth2Client.findUnique({ where: { id } });
        if (!existing) throw ApiError.notFound(`No client with id ${id}`);
        if (unchangedSince !== undefined && existing.updatedAt.getTime() !== unchangedSince.getTime()) {
          throw new ClientChanged();
        }
        throw ApiError.badRequest("A confidential client needs a client_secret");
      }
      await bumpRevision(tx);
      return fromRow(await tx.oAuth2Client.findUniqueOrThrow({ where: { id } }));
    });
  }

  /**
   * Deletes a client with every code and token issued to it, in one
   * transaction. A token written while it runs (a request that authenticated
   * the client just before) is refused when read, as its client is gone; its
   * grants are marked revoked too, so none of their tokens comes back should
   * a client with the same id be created again.
   */
  async delete(id: string): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const { count } = await tx.oAuth2Client.deleteMany({ where: { id } });
      if (count === 0) return false;
      await markClientGrantsRevoked(tx, id, new Date());
      await bumpRevision(tx);
      await forgetClientRows(tx, id);
      return true;
    });
  }
}

/** Every code, token, request and remembered decision issued to client `id`. */
async function forgetClientRows(tx: Prisma.TransactionClient, id: string | undefined): Promise<void> {
  if (id === undefined) return;
  await tx.accessToken.deleteMany({ where: { clientId: id } });
  await tx.refreshToken.deleteMany({ where: { clientId: id } });
  await tx.authorizationCode.deleteMany({ where: { clientId: id } });
  await tx.consentRequest.deleteMany({ where: { clientId: id } });
  await tx.rememberedGrant.deleteMany({ where: { clientId: id } });
  await tx.rememberedConsent.deleteMany({ where: { clientId: id } });
  await tx.authorizationGrant.deleteMany({ where: { clientId: id } });
}
