import { RE2JS, RE2JSSyntaxException } from "re2js";
import { boundedCache } from "@/common/bounded-cache.ts";
import type { AccessRequest } from "@/server/http/guard.ts";

/** A pattern, regexp or condition that ladon cannot use. Its message is shown to the API caller. */
export class PolicyError extends Error {}

/** Tests one subject, resource or action against one compiled pattern. */
export type Matcher = (value: string) => boolean;

/** One compiled condition; `value` is the request context's value under the condition's key. */
export interface Condition {
  fulfills(value: unknown, request: AccessRequest): boolean;
}

/** A policy ready for `decide`. Broken parts throw PolicyError when reached, as ladon's matcher errs. */
export interface CompiledPolicy {
  id: string;
  allow: boolean;
  subjects: readonly Matcher[];
  resources: readonly Matcher[];
  actions: readonly Matcher[];
  conditions: ReadonlyArray<readonly [key: string, condition: Condition]>;
}

/** A compiled regular expression; `test` finds a match anywhere in the value, as Go's MatchString. */
interface LadonRegExp {
  test(value: string): boolean;
}

const START = "<";
const END = ">";

// Ladon's regexps are Go's (RE2): Go's syntax and meaning (`.` matches \r and
// U+2028, `\s` is ASCII whitespace only) and linear-time matching, which
// matters because a policy's regexps run on every admin call against values a
// caller chooses (ids in URLs). re2js is that engine. Patterns outlive policy
// revisions, so the cache is bounded (least recently used goes first).
const compiled = boundedCache<string, RE2JS>(4096);

function compile(source: string, shownAs: string): RE2JS {
  let regexp = compiled.get(source);
  if (!regexp) {
    try {
      regexp = RE2JS.compile(source);
    } catch (error) {
      if (!(error instanceof RE2JSSyntaxException)) throw error;
      throw new PolicyError(`invalid regular expression ${shownAs}: ${error.getDescription()}`);
    }
    compiled.set(source, regexp);
  }
  return regexp;
}

/**
 * A ladon regular expression on its own, unanchored, as Go's
 * regexp.MatchString uses it (StringMatchCondition).
 */
export function ladonRegExp(source: string): LadonRegExp {
  return compile(source, source);
}

/** The top-level `<…>` spans of a pattern, as ladon's compiler finds them (nested `<` count). */
function delimitedSpans(pattern: string): Array<[start: number, end: number]> {
  const spans: Array<[number, number]> = [];
  let level = 0;
  let start = 0;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === START) {
      if (++level === 1) start = i;
    } else if (pattern[i] === END) {
      if (--level === 0) spans.push([start, i + 1]);
      else if (level < 0) break;
    }
  }
  if (level !== 0) throw new PolicyError(`unbalanced ${START} and ${END} in ${pattern}`);
  return spans;
}

function compileTemplate(pattern: string): RE2JS {
  let source = "^";
  let end = 0;
  for (const [start, stop] of delimitedSpans(pattern)) {
    const inner = pattern.slice(start + 1, stop - 1);
    // Ladon compiles every part on its own too, so a part that only parses inside the whole is refused.
    compile(`^${inner}$`, `${START}${inner}${END}`);
    source += `${RE2JS.quote(pattern.slice(end, start))}(${inner})`;
    end = stop;
  }
  source += `${RE2JS.quote(pattern.slice(end))}$`;
  return compile(source, pattern);
}

/**
 * Compiles a ladon pattern (a subject, resource or action of a policy): text
 * outside `<…>` is literal, each `<…>` is a regular expression, and the whole
 * value must match. Without `<` it is plain equality, as in ladon.
 * Throws PolicyError for an unbalanced or invalid pattern.
 */
export function compilePattern(pattern: string): Matcher {
  if (!pattern.includes(START)) return (value) => value === pattern;
  const regexp = compileTemplate(pattern);
  return (value) => regexp.testExact(value);
}

/**
 * Ladon's decision (DoPoliciesAllow): allowed when at least one policy whose
 * action, subject, resource and every condition match allows, and none that
 * matches denies. A missing context key fails its condition; only the
 * context's own keys count, so `constructor` or `toString` read nothing inherited.
 */
export function decide(policies: Iterable<CompiledPolicy>, request: AccessRequest): boolean {
  // A matcher shared by many policies (compilePolicies) runs once per value: its answer is kept for
  // this decision. Every policy ran its own regexps, so 2,000 policies cost milliseconds of CPU on
  // every admin call. A matcher that throws keeps nothing and throws again where it is reached.
  const action = memoized(request.action);
  const subject = memoized(request.subject);
  const resource = memoized(request.resource);
  let allowed = false;
  for (const policy of policies) {
    // Ladon's order: actions are the cheapest filter, then subjects, then resources.
    if (!policy.actions.some(action)) continue;
    if (!policy.subjects.some(subject)) continue;
    if (!policy.resources.some(resource)) continue;
    const context = request.context;
    const fulfilled = policy.conditions.every(([key, condition]) =>
      condition.fulfills(Object.hasOwn(context, key) ? context[key] : undefined, request),
    );
    if (!fulfilled) continue;
    if (!policy.allow) return false;
    allowed = true;
  }
  return allowed;
}

/** Tests matchers against one value, each matcher once. */
function memoized(value: string): (match: Matcher) => boolean {
  const answers = new Map<Matcher, boolean>();
  return (match) => {
    let answer = answers.get(match);
    if (answer === undefined) {
      answer = match(value);
      answers.set(match, answer);
    }
    return answer;
  };
}
