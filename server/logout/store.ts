import { createHmac } from "node:crypto";
import type { Database } from "@/db/client.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";
import { constantTimeEqual, hashToken, randomToken } from "@/server/tokens/secrets.ts";

/**
 * The longest request URL a logout request keeps (Hydra 2.x's request_url): a
 * GET cannot carry more past Node's 16 KiB of headers, and a POST, whose body
 * could reach 1 MiB, must not make every stored request that large.
 */
const MAX_REQUEST_URL = 16 * 1024;

type LogoutStatus = "pending" | "accepted" | "rejected";

/** A sign-out a relying party started, as the engine holds it (no wire format). */
export interface LogoutRequest {
  id: string;
  /** From a verified id_token_hint: whom the client believes is signed in, and their session. */
  subject: string | null;
  sid: string | null;
  clientId: string | null;
  /** Verified against the client's registered post_logout_redirect_uris. */
  postLogoutRedirectUri: string | null;
  state: string | null;
  uiLocales: string[];
  /** The end-session URL as the browser requested it (Hydra 2.x's request_url). */
  requestUrl: string;
  /** A client started it (id_token_hint or client_id), not the person at the server. */
  rpInitiated: boolean;
  /** Hash of the browser-binding cookie, for requests whose return must come from the same browser. */
  bindingHash: string | null;
  status: LogoutStatus;
  requestedAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

type NewLogoutRequest = Pick<
  LogoutRequest,
  "subject" | "sid" | "clientId" | "postLogoutRedirectUri" | "state" | "uiLocales"
> &
  Partial<Pick<LogoutRequest, "requestUrl" | "rpInitiated">>;

/** Keys of the Hydra 2.x face: verifiers are derived with one, binding cookies hashed with the other. */
export interface LogoutKeys {
  verifier: Buffer;
  hash: Buffer;
}

/** Why a logout request can no longer be decided. */
type LogoutUndecidable = "expired" | "decided";

/**
 * Logout requests: made by the end-session endpoint, decided once by the
 * login & consent app (after it ended the person's session), then used once
 * by the browser's return to the end-session endpoint, which sends it on to
 * the post-logout URI. Lifetime: CHALLENGE_TOKEN_LIFESPAN.
 */
export class LogoutRequests {
  constructor(
    private readonly db: Database,
    private readonly lifespanMs: number,
    private readonly keys: LogoutKeys,
  ) {}

  get lifespanSeconds(): number {
    return Math.ceil(this.lifespanMs / 1000);
  }

  /**
   * Stores a request; with `binding`, only a browser presenting that cookie value may finish it.
   * A request URL over MAX_REQUEST_URL is refused (InvalidRequest) before anything is stored.
   */
  async create(input: NewLogoutRequest, binding?: string): Promise<LogoutRequest> {
    if (Buffer.byteLength(input.requestUrl ?? "") > MAX_REQUEST_URL) {
      throw new InvalidRequest(`The sign-out request's parameters exceed ${MAX_REQUEST_URL} bytes`);
    }
    const row = await this.db.logoutRequest.create({
      data: {
        id: randomToken(16),
        subject: input.subject,
        sid: input.sid,
        clientId: input.clientId,
        postLogoutRedirectUri: input.postLogoutRedirectUri,
        state: input.state,
        uiLocales: JSON.stringify(input.uiLocales),
        requestUrl: input.requestUrl ?? "",
        rpInitiated: input.rpInitiated ?? true,
        bindingHash: binding === undefined ? null : hashToken(this.keys.hash, binding),
        expiresAt: new Date(Date.now() + this.lifespanMs),
      },
    });
    return fromRow(row);
  }

  async get(id: string): Promise<LogoutRequest | null> {
    if (!id || id.length > 64) return null;
    const row = await this.db.logoutRequest.findUnique({ where: { id } });
    return row ? fromRow(row) : null;
  }

  undecidable(request: LogoutRequest, now = Date.now()): LogoutUndecidable | undefined {
    if (request.status !== "pending") return "decided";
    if (request.expiresAt.getTime() <= now) return "expired";
    return undefined;
  }

  /** Decides once; false when it was decided or expired meanwhile (nothing changed). */
  async decide(id: string, status: "accepted" | "rejected"): Promise<boolean> {
    const now = new Date();
    const { count } = await this.db.logoutRequest.updateMany({
      where: { id, status: "pending", expiresAt: { gt: now } },
      data: { status, decidedAt: now },
    });
    return count === 1;
  }

  /**
   * The secret half of the Hydra 2.x logout verifier (`<id>.<secret>`):
   * derived from the id with a server key, so only whoever was handed the
   * accept answer's redirect can present it — never the challenge's holder.
   */
  verifierSecret(id: string): string {
    return createHmac("sha256", this.keys.verifier).update(`logout:${id}`).digest("base64url");
  }

  matchesVerifierSecret(id: string, secret: string): boolean {
    return constantTimeEqual(
      hashToken(this.keys.hash, secret),
      hashToken(this.keys.hash, this.verifierSecret(id)),
    );
  }

  matchesBinding(request: LogoutRequest, cookie: string | undefined): boolean {
    return (
      cookie !== undefined &&
      request.bindingHash !== null &&
      constantTimeEqual(hashToken(this.keys.hash, cookie), request.bindingHash)
    );
  }

  /** The browser's return after acceptance, once; false when used already or never accepted. */
  async consume(id: string): Promise<boolean> {
    const { count } = await this.db.logoutRequest.updateMany({
      where: { id, status: "accepted", usedAt: null },
      data: { usedAt: new Date() },
    });
    return count === 1;
  }
}

function fromRow(row: {
  id: string;
  subject: string | null;
  sid: string | null;
  clientId: string | null;
  postLogoutRedirectUri: string | null;
  state: string | null;
  uiLocales: string;
  requestUrl: string;
  rpInitiated: boolean;
  bindingHash: string | null;
  status: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}): LogoutRequest {
  return {
    id: row.id,
    subject: row.subject,
    sid: row.sid,
    clientId: row.clientId,
    postLogoutRedirectUri: row.postLogoutRedirectUri,
    state: row.state,
    uiLocales: JSON.parse(row.uiLocales) as string[],
    requestUrl: row.requestUrl,
    rpInitiated: row.rpInitiated,
    bindingHash: row.bindingHash,
    status: row.status as LogoutStatus,
    requestedAt: row.createdAt,
    expiresAt: row.expiresAt,
    usedAt: row.usedAt,
  };
}
