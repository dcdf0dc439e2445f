import type { Database } from "@/db/client.ts";
import { randomToken } from "@/server/tokens/secrets.ts";

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
  status: LogoutStatus;
  expiresAt: Date;
  usedAt: Date | null;
}

type NewLogoutRequest = Pick<
  LogoutRequest,
  "subject" | "sid" | "clientId" | "postLogoutRedirectUri" | "state" | "uiLocales"
>;

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
  ) {}

  async create(input: NewLogoutRequest): Promise<LogoutRequest> {
    const row = await this.db.logoutRequest.create({
      data: {
        id: randomToken(16),
        subject: input.subject,
        sid: input.sid,
        clientId: input.clientId,
        postLogoutRedirectUri: input.postLogoutRedirectUri,
        state: input.state,
        uiLocales: JSON.stringify(input.uiLocales),
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
  status: string;
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
    status: row.status as LogoutStatus,
    expiresAt: row.expiresAt,
    usedAt: row.usedAt,
  };
}
