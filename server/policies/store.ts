import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { type Database, rawQueries } from "@/db/client.ts";
import { isUniqueViolation } from "@/db/errors.ts";
import type { Prisma, Policy as Row } from "@/generated/prisma/sqlite/client.ts";
import { ApiError } from "@/server/http/errors.ts";
import type { Snapshot } from "@/server/http/snapshot.ts";
import type { ConditionWire } from "./conditions.ts";
import type { CompiledPolicy } from "./ladon.ts";
import { type Policy, type PolicyInput, policyInput } from "./schemas.ts";
import { PolicyCompiler, type PolicySource } from "./warden.ts";

/** The single PolicyRevision row every write bumps. */
const REVISION_ROW = 1;

function fromRow(row: Row): Policy {
  return {
    id: row.id,
    description: row.description,
    subjects: JSON.parse(row.subjects) as string[],
    effect: row.effect === "allow" ? "allow" : "deny",
    resources: JSON.parse(row.resources) as string[],
    actions: JSON.parse(row.actions) as string[],
    conditions: JSON.parse(row.conditions) as Record<string, ConditionWire>,
  };
}

function toPolicy(id: string, input: PolicyInput): Policy {
  return {
    id,
    description: input.description,
    subjects: input.subjects,
    effect: input.effect,
    resources: input.resources,
    actions: input.actions,
    conditions: input.conditions,
  };
}

function columns(policy: Policy) {
  return {
    description: policy.description,
    subjects: JSON.stringify(policy.subjects),
    effect: policy.effect,
    resources: JSON.stringify(policy.resources),
    actions: JSON.stringify(policy.actions),
    conditions: JSON.stringify(policy.conditions),
  };
}

async function bumpRevision(tx: Prisma.TransactionClient): Promise<void> {
  await tx.policyRevision.upsert({
    where: { id: REVISION_ROW },
    create: { id: REVISION_ROW, revision: 1 },
    update: { revision: { increment: 1 } },
  });
}

interface LoadedPolicies {
  revision: number;
  policies: readonly CompiledPolicy[];
}

/**
 * Ladon policies. Every write is one transaction that also bumps the
 * revision row, so any process sharing the database sees a change on its
 * very next check.
 */
export class PolicyStore implements PolicySource {
  private loaded: LoadedPolicies | undefined;
  private loading: { revision: number; promise: Promise<LoadedPolicies> } | undefined;

  private readonly raw;
  private readonly compiler = new PolicyCompiler();

  constructor(private readonly db: Database) {
    this.raw = rawQueries(db);
  }

  async get(id: string): Promise<Policy | null> {
    const row = await this.db.policy.findUnique({ where: { id } });
    return row ? fromRow(row) : null;
  }

  async list(offset = 0, limit = 500): Promise<Policy[]> {
    const rows = await this.db.policy.findMany({
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      skip: offset,
      take: limit,
    });
    return rows.map(fromRow);
  }

  /** Creates a policy; without an id it gets a UUID. A taken id is a 409. */
  async create(input: PolicyInput): Promise<Policy> {
    const policy = toPolicy(input.id ?? randomUUID(), input);
    try {
      await this.db.$transaction(async (tx) => {
        await tx.policy.create({ data: { id: policy.id, ...columns(policy) } });
        await bumpRevision(tx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw ApiError.conflict(`A policy with id ${policy.id} already exists`);
      throw error;
    }
    return policy;
  }

  /** Replaces every field of a policy. An unknown id is a 404. */
  async update(id: string, input: PolicyInput): Promise<Policy> {
    const policy = toPolicy(id, input);
    await this.db.$transaction(async (tx) => {
      const { count } = await tx.policy.updateMany({ where: { id }, data: columns(policy) });
      if (count === 0) throw ApiError.notFound(`No policy with id ${id}`);
      await bumpRevision(tx);
    });
    return policy;
  }

  /** Deletes a policy. An unknown id is a 404. */
  async delete(id: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const { count } = await tx.policy.deleteMany({ where: { id } });
      if (count === 0) throw ApiError.notFound(`No policy with id ${id}`);
      await bumpRevision(tx);
    });
  }

  /**
   * For the bootstrap: creates the policy under its fixed id unless one
   * exists, which it leaves as it is (an operator may have changed it).
   * Safe when several processes start at once. Returns whether it created it.
   */
  async ensure(policy: z.input<typeof policyInput> & { id: string }): Promise<boolean> {
    if (await this.get(policy.id)) return false;
    try {
      await this.create(policyInput.parse(policy));
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 409) return false;
      throw error;
    }
  }

  /**
   * The compiled policy set for the warden, checked against the policy
   * revision of the request's snapshot (read once per request, with the
   * bearer token when there is one) or, without one, read now. The set is
   * reloaded only when the revision row moved, so a write by any process
   * applies to the next request everywhere.
   */
  async all(snapshot?: Snapshot): Promise<readonly CompiledPolicy[]> {
    const revision = snapshot ? await snapshot.policyRevision() : await this.revision();
    if (this.loaded && this.loaded.revision === revision) return this.loaded.policies;
    // A load that read the revision no earlier than we did reads rows at least as new; share it.
    let loading = this.loading;
    if (!loading || loading.revision < revision) {
      const promise = this.load(revision).finally(() => {
        if (this.loading?.promise === promise) this.loading = undefined;
      });
      loading = { revision, promise };
      this.loading = loading;
    }
    return (await loading.promise).policies;
  }

  /** The policy revision as it is in the database now. */
  async revision(): Promise<number> {
    return this.raw.policyRevision(REVISION_ROW);
  }

  private async load(revision: number): Promise<LoadedPolicies> {
    const rows = await this.db.policy.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    const snapshot = { revision, policies: this.compiler.compile(rows.map(fromRow)) };
    if (!this.loaded || this.loaded.revision < revision) this.loaded = snapshot;
    return snapshot;
  }
}
