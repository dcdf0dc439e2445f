import type { Context } from "hono";
import { BodyTooLarge, readBodyText } from "@/server/http/body.ts";
import { InvalidRequest, OAuthError } from "./errors.ts";

/**
 * Reads an application/x-www-form-urlencoded body (RFC 6749 §3.2). A
 * parameter sent twice is refused (§3.1), as is any other content type.
 */
export async function readForm(c: Context): Promise<Map<string, string>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new InvalidRequest("The body must be application/x-www-form-urlencoded");
  }
  let text: string;
  try {
    text = await readBodyText(c.req.raw);
  } catch (error) {
    if (error instanceof BodyTooLarge)
      throw new OAuthError("invalid_request", "The request body is too large", 413);
    throw new InvalidRequest("The request body could not be read");
  }
  const form = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (form.has(name)) throw new InvalidRequest(`The parameter ${name} was sent more than once`);
    form.set(name, value);
  }
  return form;
}
