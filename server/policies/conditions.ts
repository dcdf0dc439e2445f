import { BlockList, isIP } from "node:net";
import { z } from "zod";
import type { AccessRequest } from "@/server/http/guard.ts";
import { type Condition, ladonRegExp, PolicyError } from "./ladon.ts";

/** A condition as the `policy` model writes it: `{type, options}`. */
export interface ConditionWire {
  type: string;
  options: Record<string, unknown>;
}

type Fulfills = (value: unknown, request: AccessRequest) => boolean;

interface ConditionKind<Options> {
  /** Validates and normalizes the options; only the fields a kind knows are kept and echoed. */
  options: z.ZodType<Options>;
  compile(options: Options): Fulfills;
}

function kind<S extends z.ZodType>(options: S, compile: (options: z.output<S>) => Fulfills) {
  return { options, compile } as ConditionKind<unknown>;
}

/** Go's net.ParseIP: no zone (`%eth0`), else Node's parser agrees. */
function ipFamily(value: string): "ipv4" | "ipv6" | undefined {
  if (value.includes("%")) return undefined;
  const family = isIP(value);
  return family === 4 ? "ipv4" : family === 6 ? "ipv6" : undefined;
}

function parseCidr(cidr: string): BlockList | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const family = match ? ipFamily(match[1] as string) : undefined;
  if (!match || !family) return undefined;
  const prefix = Number(match[2]);
  if (prefix > (family === "ipv4" ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(match[1] as string, prefix, family);
  return list;
}

const regexpOption = z.string().superRefine((source, ctx) => {
  try {
    ladonRegExp(source);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
  }
});

/** The conditions ladon knows, by the name a policy's `type` gives. */
const KINDS = new Map<string, ConditionKind<unknown>>([
  [
    "StringEqualCondition",
    kind(
      z.object({ equals: z.string() }),
      ({ equals }) =>
        (value) =>
          value === equals,
    ),
  ],
  [
    // Unanchored, as ladon's regexp.MatchString: anchor with ^ and $ to match the whole value.
    "StringMatchCondition",
    kind(z.object({ matches: regexpOption }), ({ matches }) => {
      const regexp = ladonRegExp(matches);
      return (value) => typeof value === "string" && regexp.test(value);
    }),
  ],
  [
    "EqualsSubjectCondition",
    kind(z.object({}), () => (value, request) => typeof value === "string" && value === request.subject),
  ],
  [
    "CIDRCondition",
    kind(
      z.object({
        cidr: z
          .string()
          .refine((cidr) => parseCidr(cidr) !== undefined, "cidr must be a CIDR like 10.0.0.0/8"),
      }),
      ({ cidr }) => {
        const list = parseCidr(cidr) as BlockList;
        return (value) => {
          const family = typeof value === "string" ? ipFamily(value) : undefined;
          return family !== undefined && list.check(value as string, family);
        };
      },
    ),
  ],
  [
    "StringPairsEqualCondition",
    kind(
      z.object({}),
      () => (value) =>
        Array.isArray(value) &&
        value.every(
          (pair) =>
            Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string" && pair[0] === pair[1],
        ),
    ),
  ],
]);

const CONDITION_TYPES: readonly string[] = [...KINDS.keys()];

/** A condition in a request body: the type must be known and its options valid. */
export const conditionInput = z
  .object({
    type: z.string(),
    options: z.record(z.string(), z.unknown()).nullish(),
  })
  .transform((condition, ctx): ConditionWire => {
    const known = KINDS.get(condition.type);
    if (!known) {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: `unknown condition type "${condition.type}"; known are ${CONDITION_TYPES.join(", ")}`,
      });
      return z.NEVER;
    }
    const options = known.options.safeParse(condition.options ?? {});
    if (!options.success) {
      for (const issue of options.error.issues) {
        ctx.addIssue({ code: "custom", path: ["options", ...issue.path], message: issue.message });
      }
      return z.NEVER;
    }
    return { type: condition.type, options: options.data as Record<string, unknown> };
  });

/**
 * Compiles a stored condition. One that no longer compiles fails closed when
 * reached: it throws PolicyError, and the warden denies, as ladon errs.
 */
export function compileCondition(condition: ConditionWire): Condition {
  try {
    const known = KINDS.get(condition.type);
    if (!known) throw new PolicyError(`unknown condition type "${condition.type}"`);
    const options = known.options.safeParse(condition.options);
    if (!options.success) throw new PolicyError(`invalid options for ${condition.type}`);
    return { fulfills: known.compile(options.data) };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return {
      fulfills: () => {
        throw error;
      },
    };
  }
}
