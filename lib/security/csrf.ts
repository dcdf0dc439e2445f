import { timingSafeEqual } from "node:crypto";

/** Whether the submitted token is the session's, compared in constant time. */
export function csrfTokenMatches(expected: string, submitted: unknown): boolean {
  if (typeof submitted !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
