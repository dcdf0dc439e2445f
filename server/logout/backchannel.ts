import { randomUUID } from "node:crypto";
import { withDeadline } from "@/common/deadline.ts";
import { describeError, type Logger } from "@/common/log.ts";
import type { Database } from "@/db/client.ts";
import { databaseUnavailable } from "@/db/unavailable.ts";
import type { ClientStore } from "@/server/clients/store.ts";
import type { AuthorizationGrants } from "@/server/tokens/grants.ts";
import type { IdTokens } from "@/server/tokens/id-tokens.ts";

interface BackchannelOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Waits before the second, third … attempt (the last attempt is the one after the last wait). */
  retryDelaysMs: number[];
  fetch?: typeof fetch;
}

const DEFAULTS: BackchannelOptions = { timeoutMs: 5_000, retryDelaysMs: [5_000, 30_000, 120_000] };

/** How often due retries are looked for (by one process, the one that does housekeeping). */
const RETRY_POLL_MS = 2_000;

type Delivery = Awaited<ReturnType<Database["backchannelDelivery"]["findUnique"]>> & {};

/**
 * Back-Channel Logout 1.0: when sessions end, every client they signed in to
 * that registered a `backchannel_logout_uri` gets a logout token — a JWT
 * signed with the ID-token key with `iss`, `aud`, `iat`, `exp`, `jti`,
 * `events`, `sub` and (when known) `sid`, never a `nonce`. Each delivery is
 * stored (table backchannel_deliveries) before the first attempt, so a
 * retry survives a restart and any instance can make it: a failed attempt
 * leaves the row due again after a growing wait, and `retryDue` (run every
 * few seconds by the instance that does housekeeping) makes due attempts;
 * an instance claims a row by raising its attempt count where it still has
 * the value it read, so no two make the same attempt. A receiver that hangs,
 * refuses or fails costs at most a few attempts with a short timeout each,
 * and never delays or breaks the person's sign-out. `sessionsEnded`
 * answers when the first attempts settled (tests and shutdown wait on it;
 * the sign-out never does).
 */
export class BackchannelLogout {
  private readonly options: BackchannelOptions;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly grants: AuthorizationGrants,
    private readonly clients: Pick<ClientStore, "get">,
    private readonly idTokens: IdTokens,
    private readonly log: Logger,
    options: Partial<BackchannelOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Stores a delivery for every client the ended sessions signed in to (one
   * session: `sid`, with its `subject`; or every session of a subject), then
   * makes the first attempts in the background.
   */
  sessionsEnded(ended: { subject?: string; sid?: string }): Promise<void> {
    return this.track(
      this.queue(ended)
        .then((ids) => Promise.all(ids.map((id) => this.attempt(id))))
        .then(() => undefined),
    );
  }

  /** Makes every stored attempt that is due; answers how many were due. */
  async retryDue(now = new Date()): Promise<number> {
    const due = await this.db.backchannelDelivery.findMany({
      where: { nextAttemptAt: { lte: now } },
      orderBy: { nextAttemptAt: "asc" },
      select: { id: true },
      take: 100,
    });
    await this.track(Promise.all(due.map(({ id }) => this.attempt(id, now))).then(() => undefined));
    return due.length;
  }

  /** Runs `retryDue` every few seconds in this process (the one that does housekeeping). */
  scheduleRetries(intervalMs = RETRY_POLL_MS): NodeJS.Timeout {
    let running = false;
    // While the database is unavailable every poll fails alike: say so once, without the driver's
    // stack, and again when it answers (not a stack trace every few seconds for the whole outage).
    let unavailable = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.retryDue()
        .then(() => {
          if (unavailable) this.log.info("back-channel logout retries: the database answers again");
          unavailable = false;
        })
        .catch((error: unknown) => {
          const reason = databaseUnavailable(error);
          if (!reason) return this.log.warn("back-channel logout retries failed", describeError(error));
          if (!unavailable)
            this.log.warn("back-channel logout retries wait: the database is unavailable", { reason });
          unavailable = true;
        })
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return timer;
  }

  /** Settles when every attempt started so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(run: Promise<void>): Promise<void> {
    const settled = run.catch((error: unknown) => {
      this.log.warn("back-channel logout failed", describeError(error));
    });
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return settled;
  }

  /** One row per client and session to tell, all in one write; their ids. */
  private async queue(ended: { subject?: string; sid?: string }): Promise<string[]> {
    const sessions = await this.grants.sessionsOf(ended);
    const seen = new Set<string>();
    const rows: Array<{ id: string; clientId: string; uri: string; subject: string; sid: string | null }> =
      [];
    for (const session of sessions) {
      if (ended.subject && session.subject !== ended.subject) continue;
      const key = `${session.clientId}\u0000${session.subject}\u0000${session.sid ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const client = await this.clients.get(session.clientId);
      if (!client?.backchannelLogoutUri) continue;
      // §2.2: a client that requires sid gets no token that cannot carry one.
      if (client.backchannelLogoutSessionRequired && !session.sid) continue;
      rows.push({
        id: randomUUID(),
        clientId: client.id,
        uri: client.backchannelLogoutUri,
        subject: session.subject,
        sid: session.sid ?? null,
      });
    }
    if (rows.length === 0) return [];
    const now = new Date();
    await this.db.backchannelDelivery.createMany({
      data: rows.map((row) => ({ ...row, nextAttemptAt: now })),
    });
    return rows.map((row) => row.id);
  }

  /** One attempt at a stored delivery, when it is due and this process wins it. */
  private async attempt(id: string, now = new Date()): Promise<void> {
    const row = await this.db.backchannelDelivery.findUnique({ where: { id } });
    if (!row || row.nextAttemptAt > now) return;
    const maxAttempts = this.options.retryDelaysMs.length + 1;
    if (row.attempts >= maxAttempts) {
      // The process that made the last attempt ended before it could finish the row.
      await this.db.backchannelDelivery.deleteMany({ where: { id } });
      return;
    }
    // The client may have been deleted, or changed its receiver, since the delivery was stored (or
    // its last attempt failed): a logout token about its person goes only where the client says now.
    const client = await this.clients.get(row.clientId);
    const uri = client?.backchannelLogoutUri;
    if (!client || !uri || (client.backchannelLogoutSessionRequired && !row.sid)) {
      await this.db.backchannelDelivery.deleteMany({ where: { id } });
      this.log.info("back-channel logout dropped: the client is gone or wants no logout token", {
        client: row.clientId,
      });
      return;
    }
    const attempts = row.attempts + 1;
    // Due again after the next wait; the last attempt holds the row only for its own duration.
    const wait = this.options.retryDelaysMs[attempts - 1] ?? 2 * this.options.timeoutMs;
    const { count } = await this.db.backchannelDelivery.updateMany({
      where: { id, attempts: row.attempts },
      data: { attempts, nextAttemptAt: new Date(now.getTime() + wait) },
    });
    if (count === 0) return;
    const failure = await this.send({ ...row, uri });
    if (failure === undefined) {
      await this.db.backchannelDelivery.deleteMany({ where: { id } });
      this.log.info("back-channel logout delivered", { client: row.clientId, attempt: attempts });
    } else if (attempts >= maxAttempts) {
      await this.db.backchannelDelivery.deleteMany({ where: { id } });
      this.log.warn("back-channel logout not delivered", {
        client: row.clientId,
        attempts,
        last: failure,
      });
    } else {
      this.log.info("back-channel logout will be retried", {
        client: row.clientId,
        attempt: attempts,
        last: failure,
      });
    }
  }

  /** Posts a fresh logout token; undefined when the receiver took it, else why not. */
  private async send(delivery: Delivery): Promise<string | undefined> {
    const token = await this.idTokens.signLogoutToken({
      audience: delivery.clientId,
      subject: delivery.subject,
      sid: delivery.sid ?? undefined,
      jti: randomUUID(),
    });
    const send = this.options.fetch ?? fetch;
    try {
      // withDeadline: the timer stops with the delivery (AbortSignal.timeout's would run its full course).
      return await withDeadline(this.options.timeoutMs, async (signal) => {
        const response = await send(delivery.uri, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ logout_token: token }),
          redirect: "manual",
          signal,
        });
        await response.body?.cancel().catch(() => {});
        return response.ok ? undefined : `status ${response.status}`;
      });
    } catch (error) {
      return error instanceof Error ? error.name : "error";
    }
  }
}
