import type { Context } from "hono";
import type { z } from "zod";
import { parseJsonBody } from "@/server/http/body.ts";
import { AdminError } from "./errors.ts";

/**
 * parseJsonBody for the 2.x admin API: a refusal is a 400 in Hydra's error
 * format (`toError` for a body of the wrong type, `invalid_request` for the
 * rest: missing, unreadable or malformed, or holding U+0000), and a body over
 * 1 MiB is a 413, and a compressed one (Content-Encoding) a 415.
 */
export async function readAdminJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  toError: (description: string) => AdminError = AdminError.invalidRequest,
): Promise<z.output<S>> {
  const body = await parseJsonBody(c.req.raw, schema);
  if (body.ok) return body.data;
  if (body.status === 413 || body.status === 415)
    throw new AdminError(body.status, "invalid_request", body.description);
  throw body.schema ? toError(body.description) : AdminError.invalidRequest(body.description);
}
