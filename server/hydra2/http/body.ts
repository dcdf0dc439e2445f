import type { Context } from "hono";
import type { z } from "zod";
import { BodyTooLarge, describeZodError, holdsNul, readBodyText } from "@/server/http/body.ts";
import { AdminError } from "./errors.ts";

/**
 * Parses a JSON request body of the 2.x admin API with a zod schema.
 * Malformed JSON, a missing body, a string or key holding U+0000 (as on the
 * 2017 API: PostgreSQL cannot store it) or a wrong type is a 400 in Hydra's
 * error format; a body over 1 MiB is a 413.
 */
export async function readAdminJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  toError: (description: string) => AdminError = AdminError.invalidRequest,
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readBodyText(c.req.raw);
  } catch (error) {
    if (error instanceof BodyTooLarge)
      throw new AdminError(413, "invalid_request", "The request body is larger than 1 MiB");
    throw AdminError.invalidRequest("The request body could not be read");
  }
  if (text.trim() === "") throw AdminError.invalidRequest("A JSON request body is required");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw AdminError.invalidRequest("The request body is not valid JSON");
  }
  if (holdsNul(value)) {
    throw AdminError.invalidRequest(
      "The request body holds a NUL character (U+0000), which no field may hold",
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw toError(describeZodError(parsed.error));
  return parsed.data;
}
