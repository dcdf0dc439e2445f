import { z } from "zod";

/**
 * Characters a person's name may not hold: control characters (line breaks
 * among them: a name goes into email text, one line per name) and the
 * bidirectional overrides and isolates, which can make the text around a name
 * read in another order than it is written (CVE-2021-42574's trick). Joiners
 * and other format characters that scripts need (ZWJ, ZWNJ) stay allowed.
 */
const FORBIDDEN_IN_NAMES = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** A person's name as they type it (sign-up, the account page): trimmed, 1–200 characters, NFC. */
export const personName = z
  .string()
  .trim()
  .min(1, "Enter your name")
  .max(200, "That name is too long")
  .refine((name) => !FORBIDDEN_IN_NAMES.test(name), "A name cannot hold line breaks or control characters")
  .transform((name) => name.normalize("NFC"));
