import { z } from "zod";
import { dataRecord } from "@/server/http/body.ts";
import { type ConditionWire, conditionInput } from "./conditions.ts";
import { compilePattern, PolicyError } from "./ladon.ts";

const EFFECTS = ["allow", "deny"] as const;
type Effect = (typeof EFFECTS)[number];

const MAX_PATTERNS = 256;
const MAX_PATTERN_LENGTH = 1024;
const MAX_CONDITIONS = 64;

/** A subject, resource or action: literal text with `<regexp>` parts, refused when ladon could not compile it. */
const pattern = z
  .string()
  .max(MAX_PATTERN_LENGTH)
  .superRefine((value, ctx) => {
    try {
      compilePattern(value);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message });
    }
  });

// Hydra's Go structs read JSON null as empty, and old SDKs send it.
const patterns = z
  .array(pattern)
  .max(MAX_PATTERNS)
  .nullish()
  .transform((value) => value ?? []);

/** The `policy` model as a request body (POST and PUT). Unknown fields are dropped. */
export const policyInput = z.object({
  id: z
    .string()
    .min(1)
    .max(255)
    // It goes into the resource name rn:hydra:policies:<id>: printable ASCII only.
    .regex(/^[\x20-\x7e]+$/, "id may hold only printable ASCII characters")
    .nullish()
    .transform((value) => value ?? undefined),
  description: z
    .string()
    .max(4096)
    .nullish()
    .transform((value) => value ?? ""),
  subjects: patterns,
  effect: z.enum(EFFECTS, { error: 'effect must be "allow" or "deny"' }),
  resources: patterns,
  actions: patterns,
  // Keyed by the context key each reads; a `__proto__` key is refused, never dropped.
  conditions: dataRecord(conditionInput)
    .refine((value) => Object.keys(value).length <= MAX_CONDITIONS, `at most ${MAX_CONDITIONS} conditions`)
    .nullish()
    .transform((value): Record<string, ConditionWire> => value ?? {}),
});

export type PolicyInput = z.output<typeof policyInput>;

/** A policy as stored and as the API answers it: every field present. */
export interface Policy {
  id: string;
  description: string;
  subjects: string[];
  effect: Effect;
  resources: string[];
  actions: string[];
  conditions: Record<string, ConditionWire>;
}
