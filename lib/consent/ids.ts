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

/**
 * A Hydra 2.x challenge (`login_challenge`, `consent_challenge`,
 * `logout_challenge`): URL-safe characters. Hydra 2.x carries the flow's
 * state inside it, so it may be a few kilobytes long.
 */
export const challenge = z
  .string()
  .min(1)
  .max(8192)
  .regex(/^[A-Za-z0-9\-._~]+$/, "not a challenge");

/** The challenge from a query value, or undefined when there is none or it is malformed. */
export function parseChallenge(value: unknown): string | undefined {
  const parsed = challenge.safeParse(Array.isArray(value) ? value[0] : value);
  return parsed.success ? parsed.data : undefined;
}
