import { randomUUID } from "node:crypto";
import type { Logger } from "@/common/log.ts";
import type { ClientStore } from "@/server/clients/store.ts";
import type { AuthorizationGrants } from "@/server/tokens/grants.ts";
import type { IdTokens } from "@/server/tokens/id-tokens.ts";

interface BackchannelOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Waits before the second, third … attempt. */
  retryDelaysMs: number[];
  fetch?: typeof fetch;
}

const DEFAULTS: BackchannelOptions = { timeoutMs: 5_000, retryDelaysMs: [1_000, 5_000, 30_000] };

/**
 * Back-Channel Logout 1.0: when sessions end, every client they signed in to
 * that registered a `backchannel_logout_uri` gets a logout token — a JWT
 * signed with the ID-token key with `iss`, `aud`, `iat`, `exp`, `jti`,
 * `events`, `sub` and (when known) `sid`, never a `nonce`. Delivery runs in
 * the background: a receiver that hangs, refuses or fails costs at most a
 * few retries with a short timeout each, and never delays or breaks the
 * person's sign-out. `sessionsEnded` answers when every delivery settled
 * (tests and shutdown wait on it; the sign-out never does).
 */
export class BackchannelLogout {
  private readonly options: BackchannelOptions;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly grants: AuthorizationGrants,
    private readonly clients: Pick<ClientStore, "get">,
    private readonly idTokens: IdTokens,
    private readonly log: Logger,
    options: Partial<BackchannelOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Starts notifying every client the ended sessions signed in to: one
   * session (`sid`, with its `subject`), or every session of a subject.
   */
  sessionsEnded(ended: { subject?: string; sid?: string }): Promise<void> {
    const run = this.deliverAll(ended).catch((error: unknown) => {
      this.log.warn("back-channel logout could not start", { error: String(error) });
    });
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
    return run;
  }

  /** Settles when every delivery started so far has finished (or given up). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async deliverAll(ended: { subject?: string; sid?: string }): Promise<void> {
    const sessions = await this.grants.sessionsOf(ended);
    const seen = new Set<string>();
    const deliveries: Promise<void>[] = [];
    for (const session of sessions) {
      if (ended.subject && session.subject !== ended.subject) continue;
      const key = `${session.clientId}\u0000${session.subject}\u0000${session.sid ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const client = await this.clients.get(session.clientId);
      if (!client?.backchannelLogoutUri) continue;
      // §2.2: a client that requires sid gets no token that cannot carry one.
      if (client.backchannelLogoutSessionRequired && !session.sid) continue;
      deliveries.push(
        this.deliver(client.id, client.backchannelLogoutUri, {
          sub: session.subject,
          sid: session.sid ?? undefined,
        }),
      );
    }
    await Promise.all(deliveries);
  }

  private async deliver(
    clientId: string,
    uri: string,
    subject: { sub: string; sid?: string },
  ): Promise<void> {
    const token = await this.idTokens.signLogoutToken({
      audience: clientId,
      subject: subject.sub,
      sid: subject.sid,
      jti: randomUUID(),
    });
    const send = this.options.fetch ?? fetch;
    const attempts = [0, ...this.options.retryDelaysMs];
    let last = "";
    for (const [attempt, delay] of attempts.entries()) {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref());
      try {
        const response = await send(uri, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ logout_token: token }),
          redirect: "manual",
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        await response.body?.cancel().catch(() => {});
        if (response.ok) {
          this.log.info("back-channel logout delivered", { client: clientId, attempt: attempt + 1 });
          return;
        }
        last = `status ${response.status}`;
      } catch (error) {
        last = error instanceof Error ? error.name : "error";
      }
    }
    this.log.warn("back-channel logout not delivered", { client: clientId, attempts: attempts.length, last });
  }
}
