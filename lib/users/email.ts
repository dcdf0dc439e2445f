import { z } from "zod";

/**
 * One spelling per address, so "Ann@Example.com " and "ann@example.com" are
 * the same account: Unicode NFC, trimmed, lower-cased.
 */
export function normalizeEmail(email: string): string {
  return email.normalize("NFC").trim().toLowerCase();
}

/** An email address as people type it, normalised. */
export const emailAddress = z
  .string()
  .trim()
  .min(1, "Enter your email address")
  .max(254, "That email address is too long")
  .pipe(z.email("Enter a valid email address"))
  .transform(normalizeEmail);
