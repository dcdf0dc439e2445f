import type { Context } from "hono";
import { BodyTooLarge, EncodedBody, readBodyText } from "@/server/http/body.ts";
import { InvalidRequest, OAuthError } from "./errors.ts";

/**
 * Refuses a parameter (name or value) holding U+0000, as the JSON body
 * reader does (`unstorableText`): PostgreSQL's text columns refuse it.
 */
export function refuseNul(pairs: Iterable<[string, string]>): void {
  for (const [name, value] of pairs) {
    if (name.includes("\0") || value.includes("\0"))
      throw new InvalidRequest("A parameter holds a NUL character (U+0000)");
  }
}

/**
 * Reads an application/x-www-form-urlencoded body (RFC 6749 §3.2). A
 * parameter sent without a value is treated as omitted (§3.2, as /oauth2/auth
 * does under §3.1): clients that always send `client_secret=` or
 * `code_verifier=` (passport-oauth2 for a public client) mean nothing by it,
 * as Hydra read them. A parameter sent twice is refused (§3.1), as is one
 * holding U+0000 and any other content type.
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
    if (error instanceof EncodedBody) throw new OAuthError("invalid_request", error.message, 415);
    throw new InvalidRequest("The request body could not be read");
  }
  const form = new Map<string, string>();
  const pairs = [...new URLSearchParams(text)];
  refuseNul(pairs);
  for (const [name, value] of pairs) {
    if (value === "") continue;
    if (form.has(name)) throw new InvalidRequest(`The parameter ${name} was sent more than once`);
    form.set(name, value);
  }
  return form;
}
