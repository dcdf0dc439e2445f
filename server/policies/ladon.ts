import v8 from "node:v8";
import type { AccessRequest } from "@/server/http/guard.ts";

// Ladon's Go regexps run in linear time (RE2); ECMAScript's backtrack, and a
// policy's regexps run on every admin call against values a caller chooses
// (ids in URLs). With these flags V8 re-runs a regexp on its linear-time
// engine once backtracking gets excessive, and lets us ask (flag "l") whether
// that engine can run a given one. Process-wide, and only ever a speed-up.
v8.setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
v8.setFlagsFromString("--enable-experimental-regexp-engine");

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

const START = "<";
const END = ">";
// Escapes that mean the same in Go (RE2) and ECMAScript; any other letter or
// digit escape is Go-only (\z, \pL, \Q), ECMAScript-only (\k, \1) or unknown.
const SHARED_ESCAPES = new Set("dDwWsSbBnrtfv");
const SYNTAX_CHARACTERS = /[\\^$.*+?()[\]{}|/]/g;
const CACHE_LIMIT = 4096;

const regexpCache = new Map<string, RegExp>();

function cached(key: string, build: () => RegExp): RegExp {
  let regexp = regexpCache.get(key);
  if (!regexp) {
    regexp = build();
    // Patterns outlive revisions, so the cache may grow with every policy ever written; start over past a bound.
    if (regexpCache.size >= CACHE_LIMIT) regexpCache.clear();
    regexpCache.set(key, regexp);
  }
  return regexp;
}

/**
 * Rewrites Go regexp syntax to ECMAScript where both mean the same, and
 * refuses what would mean something else: Go reads any escaped ASCII
 * punctuation as itself, which ECMAScript's strict mode only partly accepts,
 * so those become hex escapes.
 */
function fromGoSyntax(source: string): string {
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    if (char !== "\\") {
      out += char;
      continue;
    }
    const next = source[++i];
    if (next === undefined)
      throw new PolicyError(`the regular expression ${source} ends with a lone backslash`);
    if (next === "x" && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
      out += `\\x${source.slice(i + 1, i + 3)}`;
      i += 2;
    } else if (SHARED_ESCAPES.has(next)) {
      out += `\\${next}`;
    } else if (/^[\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E ]$/.test(next)) {
      out += `\\x${next.charCodeAt(0).toString(16).padStart(2, "0")}`;
    } else {
      throw new PolicyError(`the regular expression ${source} uses the unsupported escape \\${next}`);
    }
  }
  return out;
}

interface Shape {
  lookaround: boolean;
  /** A repeated group contains a repetition, like (a+)+: exponential when backtracking. */
  nestedRepetition: boolean;
}

/** Reads the structure of an ECMAScript regexp source, skipping escapes and character classes. */
function shapeOf(source: string): Shape {
  const shape: Shape = { lookaround: false, nestedRepetition: false };
  const repeats: boolean[] = [false];
  let closedGroupRepeats = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === "\\") {
      i++;
      closedGroupRepeats = false;
      continue;
    }
    if (inClass) {
      if (char === "]") inClass = false;
      continue;
    }
    if (char === "[") {
      inClass = true;
      closedGroupRepeats = false;
    } else if (char === "(") {
      if (/^\(\?<?[=!]/.test(source.slice(i, i + 4))) shape.lookaround = true;
      repeats.push(false);
    } else if (char === ")") {
      closedGroupRepeats = repeats.pop() ?? false;
      if (closedGroupRepeats) repeats[repeats.length - 1] = true;
    } else {
      const counted = char === "{" ? /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i)) : null;
      const bounds = counted && (counted[2] === undefined ? Number(counted[1]) > 1 : counted[3] !== "1");
      const repetition = char === "*" || char === "+" || Boolean(bounds);
      if (repetition && closedGroupRepeats) shape.nestedRepetition = true;
      if (repetition) repeats[repeats.length - 1] = true;
      if (counted) i += counted[0].length - 1;
      // A ? after a quantifier makes it lazy; it is not another quantifier.
      if ((repetition || char === "?") && source[i + 1] === "?") i++;
      closedGroupRepeats = false;
    }
  }
  return shape;
}

function linearTime(source: string): boolean {
  try {
    new RegExp(source, "l");
    return true;
  } catch {
    return false;
  }
}

/** Checks one regular expression (already in ECMAScript syntax) as ladon's Go would accept it. */
function checkRegExp(source: string, shownAs: string): void {
  try {
    // Unicode mode for the check only: it refuses what Go refuses ([]a], a lone ]) instead of guessing.
    new RegExp(source, "u");
  } catch (error) {
    const reason =
      error instanceof Error ? (error.message.split(": ").pop() ?? error.message) : String(error);
    throw new PolicyError(`invalid regular expression ${shownAs}: ${reason}`);
  }
  if (shapeOf(source).lookaround) {
    throw new PolicyError(
      `the regular expression ${shownAs} uses a lookaround, which ladon does not support`,
    );
  }
}

/** Compiles for matching. Refuses what the linear-time fallback cannot rescue and that could take exponential time. */
function executable(source: string, shownAs: string): RegExp {
  return cached(`regexp\0${source}`, () => {
    if (!linearTime(source) && shapeOf(source).nestedRepetition) {
      throw new PolicyError(
        `the regular expression ${shownAs} nests repetitions with large bounds; simplify it`,
      );
    }
    // No unicode flag: V8's linear-time fallback does not run unicode regexps.
    return new RegExp(source);
  });
}

/**
 * A ladon regular expression on its own, unanchored, as Go's
 * regexp.MatchString uses it (StringMatchCondition).
 */
export function ladonRegExp(source: string): RegExp {
  const translated = fromGoSyntax(source);
  checkRegExp(translated, source);
  return executable(translated, source);
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

function compileTemplate(pattern: string): RegExp {
  let source = "^";
  let end = 0;
  for (const [start, stop] of delimitedSpans(pattern)) {
    const inner = pattern.slice(start + 1, stop - 1);
    const translated = fromGoSyntax(inner);
    checkRegExp(translated, `${START}${inner}${END}`);
    source += `${pattern.slice(end, start).replace(SYNTAX_CHARACTERS, "\\$&")}(?:${translated})`;
    end = stop;
  }
  source += `${pattern.slice(end).replace(SYNTAX_CHARACTERS, "\\$&")}$`;
  return executable(source, pattern);
}

/**
 * Compiles a ladon pattern (a subject, resource or action of a policy): text
 * outside `<…>` is literal, each `<…>` is a regular expression, and the whole
 * value must match. Without `<` it is plain equality, as in ladon.
 * Throws PolicyError for an unbalanced or invalid pattern.
 */
export function compilePattern(pattern: string): Matcher {
  if (!pattern.includes(START)) return (value) => value === pattern;
  const regexp = cached(`pattern\0${pattern}`, () => compileTemplate(pattern));
  return (value) => regexp.test(value);
}

/**
 * Ladon's decision (DoPoliciesAllow): allowed when at least one policy whose
 * action, subject, resource and every condition match allows, and none that
 * matches denies. A missing context key fails its condition.
 */
export function decide(policies: Iterable<CompiledPolicy>, request: AccessRequest): boolean {
  let allowed = false;
  for (const policy of policies) {
    // Ladon's order: actions are the cheapest filter, then subjects, then resources.
    if (!policy.actions.some((match) => match(request.action))) continue;
    if (!policy.subjects.some((match) => match(request.subject))) continue;
    if (!policy.resources.some((match) => match(request.resource))) continue;
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
