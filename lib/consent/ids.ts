import { z } from "zod";

/** A consent request id as it travels in `?consent=` and in forms: URL-safe characters only. */
export const consentId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9\-._~]+$/, "not a consent request id");

/** The consent id from a query value, or undefined when there is none or it is malformed. */
export function parseConsentId(value: unknown): string | undefined {
  const parsed = consentId.safeParse(Array.isArray(value) ? value[0] : value);
  return parsed.success ? parsed.data : undefined;
}
