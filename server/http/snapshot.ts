import type { Revisions } from "@/db/raw.ts";
import type { AccessTokenRecord } from "@/server/tokens/access-tokens.ts";

/**
 * How the per-process caches stay correct across processes and instances.
 *
 * Every process keeps compiled policies and the clients it read. Each kept
 * thing carries the revision it was read at: a counter row (one for policies,
 * one for clients) that every write of that kind bumps in its own
 * transaction. A kept thing is used only when its revision is the one in the
 * database, so a write on any instance applies to the next request everywhere.
 *
 * A request reads those revisions once, together with its bearer token when
 * it has one (one statement), and keeps them here, on its context; the stores
 * and the warden consult the snapshot. Nothing else sees a revision.
 */

/** Where a snapshot reads from (the stores; see createServices). */
interface SnapshotReads {
  /** The token when active, with the revisions read in the same statement. */
  tokenWithRevisions(token: string): Promise<{ token: AccessTokenRecord | null; revisions: Revisions }>;
  clientRevision(): Promise<number>;
  policyRevision(): Promise<number>;
}

/** A write that was to confirm the clients it used were current found a client write since: nothing was written. */
export class StaleSnapshot extends Error {
  constructor() {
    super("A client changed while the request was answered");
  }
}

interface Mode {
  /** Hand out kept clients without reading the client revision; the one write confirms them. */
  keepsClients?: boolean;
  /** Make the access-token insert conditional on the client revision the clients were read at. */
  confirmsWrites?: boolean;
}

/** What one request read of the revisions (and its bearer token), read at most once each. */
export class Snapshot {
  private tokenRead: { presented: string; read: ReturnType<SnapshotReads["tokenWithRevisions"]> } | undefined;
  private client: Promise<number> | undefined;
  private policy: Promise<number> | undefined;
  /** The oldest client revision among the clients handed out in this request. */
  private clientsAt: number | undefined;
  /** A kept client was handed out that no revision read or conditional write has confirmed yet. */
  private unconfirmed = false;

  constructor(
    private readonly reads: SnapshotReads,
    private readonly mode: Mode = {},
  ) {}

  /** The bearer token's record when active; the first token read also reads the revisions. */
  async token(presented: string): Promise<AccessTokenRecord | null> {
    if (this.tokenRead?.presented !== presented) {
      this.tokenRead = { presented, read: this.reads.tokenWithRevisions(presented) };
    }
    return (await this.tokenRead.read).token;
  }

  clientRevision(): Promise<number> {
    this.client ??= this.fromTokenRead("clientRevision") ?? this.reads.clientRevision();
    return this.client;
  }

  policyRevision(): Promise<number> {
    this.policy ??= this.fromTokenRead("policyRevision") ?? this.reads.policyRevision();
    return this.policy;
  }

  private fromTokenRead(name: keyof Revisions): Promise<number> | undefined {
    const read = this.tokenRead?.read;
    if (!read) return undefined;
    return read.then((result) => result.revisions[name]);
  }

  /** For ClientStore: whether a kept client may be handed out without reading the client revision. */
  get keepsClients(): boolean {
    return this.mode.keepsClients === true;
  }

  /** For ClientStore: a client read at `revision` was handed out; `checked` when against a revision read now. */
  handedOut(revision: number, checked: boolean): void {
    this.clientsAt = this.clientsAt === undefined ? revision : Math.min(this.clientsAt, revision);
    if (!checked) this.unconfirmed = true;
  }

  /** For AccessTokens.issue: the client revision its insert must still find, if it is to confirm one. */
  get confirmRevision(): number | undefined {
    return this.mode.confirmsWrites ? this.clientsAt : undefined;
  }

  /** For AccessTokens.issue: its conditional insert found the revision unchanged. */
  confirmed(): void {
    this.unconfirmed = false;
  }

  /** Whether a client write happened since the unconfirmed kept clients were read. */
  async keptClientsMoved(): Promise<boolean> {
    return this.unconfirmed && (await this.reads.clientRevision()) !== this.clientsAt;
  }
}

/** Makes the snapshots; `confirmsClientRevision`: the backend can make an insert conditional on it. */
export class Snapshots {
  constructor(
    private readonly reads: SnapshotReads,
    private readonly confirmsClientRevision: boolean,
  ) {}

  /** A request's snapshot: nothing is read until a store asks. */
  create(): Snapshot {
    return new Snapshot(this.reads);
  }

  /**
   * For work whose only write is one access-token insert (client_credentials):
   * it runs first on the kept clients without any read, its insert confirming
   * the client revision in the same statement. When a client write moved the
   * revision, nothing was written and it runs again on clients checked now;
   * a refusal decided on a kept client stands only if no client write
   * happened since it was read.
   */
  async withKeptClients<T>(work: (snapshot: Snapshot) => Promise<T>): Promise<T> {
    if (!this.confirmsClientRevision) return work(this.create());
    const kept = new Snapshot(this.reads, { keepsClients: true, confirmsWrites: true });
    try {
      return await work(kept);
    } catch (error) {
      if (!(error instanceof StaleSnapshot) && !(await kept.keptClientsMoved())) throw error;
    }
    try {
      return await work(new Snapshot(this.reads, { confirmsWrites: true }));
    } catch (error) {
      if (!(error instanceof StaleSnapshot)) throw error;
    }
    // Clients keep changing under this request: answer from what is read now, without the condition.
    return work(this.create());
  }
}

declare module "hono" {
  interface ContextVariableMap {
    /** This request's snapshot, set for every API request (server/app.ts). */
    snapshot: Snapshot;
  }
}
