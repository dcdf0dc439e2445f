import { ApiError } from "./errors.ts";

/** Printable ASCII: no controls, line or paragraph separators, or other Unicode. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Checks an id that goes into a warden resource name (a client id, key set,
 * kid, policy id, subject) before the guard sees it: printable ASCII of at
 * most `max` characters. Anything else could make a resource name that a
 * policy's pattern reads differently from the one it was written for.
 */
export function resourceId(what: string, value: string, max = 255): string {
  if (value.length === 0 || value.length > max || !PRINTABLE_ASCII.test(value)) {
    throw ApiError.badRequest(`${what} must be 1–${max} printable ASCII characters`);
  }
  return value;
}
