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

function compileWith(policy: Policy, pattern: (text: string) => Matcher): CompiledPolicy {
  return {
    id: policy.id,
    // Ladon allows only on exactly "allow"; anything else stored denies.
    allow: policy.effect === "allow",
    subjects: policy.subjects.map((text) => pattern(text)),
    resources: policy.resources.map((text) => pattern(text)),
    actions: policy.actions.map((text) => pattern(text)),
    conditions: Object.entries(policy.conditions).map(
      ([key, condition]) => [key, compileCondition(condition)] as const,
    ),
  };
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  return compileWith(policy, storedPattern);
}

/**
 * Compiles policy sets with one matcher per distinct pattern text, shared by
 * every policy that has it: `decide` runs each matcher once per value of a
 * decision (ladon.ts), so a pattern that a thousand policies share (an action
 * list such as `<get|update|delete>`, a subject group) costs one match, not a
 * thousand. A set compiled after a write reuses the matchers of the set
 * before, so only patterns the write brought are compiled: re2js takes a
 * fraction of a millisecond per regexp, and recompiling 2,000 policies after
 * every policy write held each process for seconds (the regexp cache of
 * ladon.ts is bounded, and that many policies outgrow it). A matcher depends
 * on its text alone, so a kept one is never stale; the compiler keeps those
 * of the latest set only.
 */
export class PolicyCompiler {
  private matchers = new Map<string, Matcher>();

  compile(policies: Iterable<Policy>): CompiledPolicy[] {
    const previous = this.matchers;
    const matchers = new Map<string, Matcher>();
    const shared = (text: string): Matcher => {
      let matcher = matchers.get(text);
      if (!matcher) {
        matcher = previous.get(text) ?? storedPattern(text);
        matchers.set(text, matcher);
      }
      return matcher;
    };
    const compiled = Array.from(policies, (policy) => compileWith(policy, shared));
    this.matchers = matchers;
    return compiled;
  }
}

/** One policy set, compiled with shared matchers (PolicyCompiler). */
export function compilePolicies(policies: Iterable<Policy>): CompiledPolicy[] {
  return new PolicyCompiler().compile(policies);
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
