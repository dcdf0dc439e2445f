import { createHmac, randomBytes } from "node:crypto";
import { hash as bcryptHash, verify } from "@node-rs/bcrypt";
import { boundedCache } from "@/common/bounded-cache.ts";
import type { Client } from "@/server/clients/model.ts";
import type { ClientStore } from "@/server/clients/store.ts";
import { TokenBuckets } from "@/server/http/rate-limit.ts";
import type { Snapshot } from "@/server/http/snapshot.ts";
import { InvalidClient, InvalidRequest, TooManyAttempts } from "./errors.ts";

/** bcrypt reads at most 72 bytes; a longer presented secret can never be the registered one. */
const BCRYPT_MAX_BYTES = 72;

/** Checks a presented secret against a bcrypt hash (a parameter so tests can count the checks). */
export type VerifyHash = (secret: string, hash: string) => Promise<boolean>;

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
function parseBasic(header: string | undefined): BasicCredentials | undefined {
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

function tooMany(retryAfterSeconds: number): TooManyAttempts {
  return new TooManyAttempts(
    retryAfterSeconds,
    `Too many failed client authentications; try again in ${retryAfterSeconds} s`,
  );
}

/**
 * What one request's authentication looks up and computes, each once: the buckets' key, the
 * verified-before check and the check itself all ask for the same client, and the last two for the
 * same memo of its secret.
 */
class Attempt {
  private readonly found = new Map<string, Promise<Client | null>>();
  private readonly memos = new Map<string, string>();

  constructor(
    private readonly clients: ClientStore,
    private readonly cacheKey: Buffer,
    private readonly snapshot: Snapshot | undefined,
  ) {}

  /** A reading holding U+0000 names no client (and PostgreSQL would refuse to look it up). */
  lookup(id: string): Promise<Client | null> {
    let client = this.found.get(id);
    if (!client) {
      client = id.includes("\0") ? Promise.resolve(null) : this.clients.get(id, this.snapshot);
      this.found.set(id, client);
    }
    return client;
  }

  /** The key a verified secret is remembered under: no secret in it, and the stored hash, so it lapses with a new secret. */
  memo(client: Client, secret: string): string {
    const input = `${client.id}\0${secret}\0${client.secretHash}`;
    let memo = this.memos.get(input);
    if (memo === undefined) {
      memo = createHmac("sha256", this.cacheKey).update(input).digest("base64url");
      this.memos.set(input, memo);
    }
    return memo;
  }

  /** The client the first of `ids` that names one names (Basic ids have two readings). */
  async firstKnown(ids: string[]): Promise<Client | null> {
    for (const id of ids) {
      const client = await this.lookup(id);
      if (client) return client;
    }
    return null;
  }
}

/**
 * Authenticates the calling client: `client_secret_basic`, `client_secret_post`,
 * or, for public clients, `client_id` alone (`none`) — in the form, or as
 * HTTP Basic with an empty password.
 *
 * A bcrypt verify costs tens of milliseconds, so a successful verification is
 * remembered under a keyed hash of (client id, presented secret, stored hash):
 * the memory holds no secret, and it empties itself for a client whose secret
 * changes because the stored hash is part of the key.
 *
 * Guessing is slowed down: failed attempts spend tokens of the claimed
 * client's bucket (however its id is spelled) and of the calling
 * address's (kept per process), taken before the secret is checked and
 * handed back when it was right, so that concurrent guesses get no more
 * checks than the buckets hold; when either is empty, attempts are refused
 * with 429 before any secret is checked — but for credentials this
 * process verified before (or is verifying), which pass the client's bucket without a check,
 * so that a client's own servers are not locked out by someone else's
 * guesses (its id is public). An unknown client id is checked
 * against a dummy hash of the same cost, so it answers no faster than a
 * wrong secret.
 */
export class ClientAuthenticator {
  // Bounded: the least recently used verification goes first.
  private readonly verified = boundedCache<string, true>(10_000);
  /**
   * Checks under way, by the same key: an attempt the client's empty bucket refuses waits for one
   * of its own credentials instead (a burst of a client's first requests right after a start).
   */
  private readonly pending = new Map<string, Promise<boolean>>();
  /** 20 failures at once per client id, then one more every 3 s. */
  private readonly perClient = new TokenBuckets(20, 1 / 3);
  /** 100 failures at once per address, then one more a second. */
  private readonly perAddress = new TokenBuckets(100, 1);
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly clients: ClientStore,
    private readonly cacheKey: Buffer,
    private readonly bcryptCost = 10,
    private readonly verifyHash: VerifyHash = verify,
  ) {}

  /**
   * `snapshot`: the request's, which the client store consults. `registeredMethod`: whether the
   * client's registered `token_endpoint_auth_method` binds it (the token and revocation endpoints);
   * introspection has one method, HTTP Basic, for every confidential client (as fosite's has).
   */
  async authenticate(
    authorization: string | undefined,
    form: Map<string, string>,
    snapshot?: Snapshot,
    address?: string,
    registeredMethod = true,
  ): Promise<Client> {
    const attempt = new Attempt(this.clients, this.cacheKey, snapshot);
    const basic = parseBasic(authorization);
    const keys = [
      ...(address ? [{ buckets: this.perAddress, key: address }] : []),
      { buckets: this.perClient, key: await this.claimedId(basic, form, attempt) },
    ];
    // A public client's bare client_id, and credentials this process has verified (or is verifying),
    // cost no bcrypt check. Anyone can empty a client's bucket (its id is public), so verified ones
    // pass it: the client's own servers (a resource server introspecting) are not locked out by
    // someone else's guesses. The address's bucket must still hold a token.
    const noSecret = !basic && form.get("client_secret") === undefined;
    if (noSecret || (await this.verifiedBefore(basic, form, attempt))) {
      for (const { buckets, key } of keys) {
        const state = buckets.peek(key);
        if (!state.ok && (noSecret || buckets !== this.perClient)) throw tooMany(state.retryAfterSeconds);
      }
      try {
        return await this.authenticateOnce(basic, form, attempt, registeredMethod);
      } catch (error) {
        if (error instanceof InvalidClient) for (const { buckets, key } of keys) buckets.take(key);
        throw error;
      }
    }
    // Any other attempt spends its tokens before its secret is checked, and a right secret (or a
    // request refused for another reason) hands them back. Spending them only once the check had
    // failed let a burst of concurrent guesses all find the buckets full: 200 at once cost 200
    // bcrypt checks, where the limit is 20 per client.
    const reserved: typeof keys = [];
    const handBack = () => {
      for (const { buckets, key } of reserved) buckets.giveBack(key);
    };
    for (const entry of keys) {
      const state = entry.buckets.take(entry.key);
      // The client's own first requests after a start, all at once, wait for the one of them
      // checking their secret, rather than be refused by their own reservations.
      if (!state.ok && entry.buckets === this.perClient && (await this.verifiedBefore(basic, form, attempt)))
        continue;
      if (!state.ok) {
        handBack();
        throw tooMany(state.retryAfterSeconds);
      }
      reserved.push(entry);
    }
    try {
      const client = await this.authenticateOnce(basic, form, attempt, registeredMethod);
      handBack();
      return client;
    } catch (error) {
      if (!(error instanceof InvalidClient)) handBack();
      throw error;
    }
  }

  /**
   * The client id the credentials claim, whose bucket their failures spend:
   * the client a Basic id names in either reading (as `verifySecret` finds
   * it), else its RFC 6749 §2.3.1 form-decoded reading. Every spelling of one
   * client (`a`, `%61`) shares its bucket.
   */
  private async claimedId(
    basic: BasicCredentials | undefined,
    form: Map<string, string>,
    attempt: Attempt,
  ): Promise<string> {
    if (!basic) return form.get("client_id") ?? "";
    const ids = readings(basic.id);
    return (await attempt.firstKnown(ids))?.id ?? (ids.at(-1) as string);
  }

  /** True when the presented secret is one this process has verified for the client it names. */
  private async verifiedBefore(
    basic: BasicCredentials | undefined,
    form: Map<string, string>,
    attempt: Attempt,
  ): Promise<boolean> {
    const ids = basic ? readings(basic.id) : [form.get("client_id") ?? ""];
    const secrets = basic ? readings(basic.secret) : [form.get("client_secret") ?? ""];
    // The client verifySecret would check: the first reading that names one.
    const client = await attempt.firstKnown(ids);
    if (!client?.secretHash) return false;
    for (const secret of secrets) {
      const memo = attempt.memo(client, secret);
      if (this.verified.has(memo) || (await this.pending.get(memo))) return true;
    }
    return false;
  }

  private async authenticateOnce(
    basic: BasicCredentials | undefined,
    form: Map<string, string>,
    attempt: Attempt,
    registeredMethod: boolean,
  ): Promise<Client> {
    const postedSecret = form.get("client_secret");
    const postedId = form.get("client_id");
    if (basic && postedSecret !== undefined) {
      throw new InvalidRequest("Use one client authentication method, not both");
    }
    if (basic) {
      if (postedId !== undefined && !readings(basic.id).includes(postedId)) {
        throw new InvalidRequest("client_id does not match the authenticated client");
      }
      if (basic.secret === "") {
        // A public client has no secret to send: Basic with an empty password names it as client_id
        // alone would (golang.org/x/oauth2, by default, tries this first from every process, and
        // Hydra accepted it). Failing, each such try spent the client's bucket, until its
        // client_id-alone requests too were answered 429.
        const named = await attempt.firstKnown(readings(basic.id));
        if (named?.public) return named;
      }
      const client = await this.verifySecret(readings(basic.id), readings(basic.secret), attempt);
      // A client registered for client_secret_post (Hydra 2.x) may not use Basic, and the reverse.
      if (registeredMethod && client.tokenEndpointAuthMethod === "client_secret_post") {
        throw new InvalidClient();
      }
      return client;
    }
    if (postedId === undefined) throw new InvalidClient("Client authentication is required");
    if (postedSecret !== undefined) {
      const client = await this.verifySecret([postedId], [postedSecret], attempt);
      if (client.tokenEndpointAuthMethod === "client_secret_basic") throw new InvalidClient();
      return client;
    }
    const client = await attempt.lookup(postedId);
    if (!client?.public) throw new InvalidClient();
    return client;
  }

  private async verifySecret(ids: string[], secrets: string[], attempt: Attempt): Promise<Client> {
    const client = await attempt.firstKnown(ids);
    if (client && !client.public && client.secretHash) {
      for (const secret of secrets) {
        if (await this.matches(client, secret, attempt)) return client;
      }
      throw new InvalidClient();
    }
    // No such client, or one without a secret: spend what a wrong secret would cost, so that the
    // answer's timing does not tell whether the id exists.
    await this.spendAsWrongSecret(secrets);
    throw new InvalidClient();
  }

  /**
   * The work `matches` does for every reading of a wrong secret: one verification per reading
   * that bcrypt can read, none for a longer one. Anything else (one dummy verification whatever
   * the secret) answers a too-long or percent-encoded secret at a speed that depends on whether
   * the client exists: 6 ms against 190 ms, or 380 ms against 190 ms.
   */
  private async spendAsWrongSecret(secrets: string[]): Promise<void> {
    for (const secret of secrets) {
      if (Buffer.byteLength(secret, "utf8") > BCRYPT_MAX_BYTES) continue;
      await this.verifyHash(secret, await this.dummy()).catch(() => false);
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= bcryptHash(randomBytes(16).toString("base64url"), this.bcryptCost);
    return this.dummyHash;
  }

  private async matches(client: Client, secret: string, attempt: Attempt): Promise<boolean> {
    const hash = client.secretHash as string;
    const memo = attempt.memo(client, secret);
    if (this.verified.has(memo)) return true;
    if (Buffer.byteLength(secret, "utf8") > BCRYPT_MAX_BYTES) return false;
    const check = this.verifyHash(secret, hash).catch(() => false);
    this.pending.set(memo, check);
    try {
      if (!(await check)) return false;
      this.verified.set(memo, true);
      return true;
    } finally {
      if (this.pending.get(memo) === check) this.pending.delete(memo);
    }
  }
}
