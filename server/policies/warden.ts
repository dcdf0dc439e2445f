import type { AccessRequest, Warden } from "@/server/http/guard.ts";
import type { Snapshot } from "@/server/http/snapshot.ts";
import { compileCondition } from "./conditions.ts";
import { type CompiledPolicy, compilePattern, decide, type Matcher, PolicyError } from "./ladon.ts";
import type { Policy } from "./schemas.ts";

/** Where the warden gets the current policy set; PolicyStore keeps it compiled and fresh. */
export interface PolicySource {
  /** `snapshot`: the request's, whose policy revision validates the kept set. */
  all(snapshot?: Snapshot): Promise<readonly CompiledPolicy[]>;
}

/** A stored pattern that no longer compiles fails closed when reached, as ladon's matcher errs. */
function storedPattern(pattern: string): Matcher {
  try {
    return compilePattern(pattern);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return () => {
      throw error;
    };
  }
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  return {
    id: policy.id,
    // Ladon allows only on exactly "allow"; anything else stored denies.
    allow: policy.effect === "allow",
    subjects: policy.subjects.map(storedPattern),
    resources: policy.resources.map(storedPattern),
    actions: policy.actions.map(storedPattern),
    conditions: Object.entries(policy.conditions).map(
      ([key, condition]) => [key, compileCondition(condition)] as const,
    ),
  };
}

/** The warden of every admin call: ladon over the stored policies. */
export class LadonWarden implements Warden {
  constructor(private readonly policies: PolicySource) {}

  async isAllowed(request: AccessRequest, snapshot?: Snapshot): Promise<boolean> {
    const policies = await this.policies.all(snapshot);
    try {
      return decide(policies, request);
    } catch (error) {
      // Ladon answers an error, which denies, when a policy it reaches cannot be evaluated.
      if (error instanceof PolicyError) return false;
      throw error;
    }
  }
}
