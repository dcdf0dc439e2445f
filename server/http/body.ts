import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "./errors.ts";

const BODY_LIMIT = 1024 * 1024;

export class BodyTooLarge extends Error {}

/**
 * A body sent with a content coding (`Content-Encoding: gzip`): nothing here
 * decodes one, and reading the compressed bytes as the body made a form of
 * binary noise ("a parameter holds U+0000") or "not valid JSON". Refused as
 * RFC 9110 §15.5.16 says, with a 415 (and `Accept-Encoding: identity`, RFC 7694 §3).
 */
export class EncodedBody extends Error {
  constructor(readonly coding: string) {
    super(
      `The request body must not be sent with a content coding (Content-Encoding: ${coding}); send it as it is`,
    );
  }
}

/** What an answer refusing an EncodedBody says it takes (RFC 7694 §3). */
export const ACCEPTED_ENCODING = "identity";

/** After refusing a streamed body: at most this much more of it is read and dropped, for at most this long. */
const LINGER_BYTES = 4 * 1024 * 1024;
const LINGER_MS = 1000;

/**
 * Reads and drops what follows of a refused body, within LINGER_BYTES and
 * LINGER_MS, then stops reading. The 413 closes the connection; a socket
 * closed with unread bytes in it is reset, and a reset can make the client's
 * system drop the 413 before the client reads it, while the client is still
 * sending (RFC 9112 §9.6, lingering close). A client that sends on beyond
 * the bounds gets the reset.
 */
async function lingerOn(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const deadline = Date.now() + LINGER_MS;
  let drained = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), LINGER_MS);
  });
  try {
    while (drained <= LINGER_BYTES && Date.now() < deadline) {
      const next = await Promise.race([reader.read(), timeUp]);
      if (!next || next.done) return;
      drained += next.value.byteLength;
    }
  } catch {
    // The client went away: nothing is left to linger for.
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
}

/**
 * Reads the request body as text, refusing more than 1 MiB without buffering
 * it. An absent body reads as "" (the 2017 SDK sends GET and DELETE with a
 * JSON content type and no body).
 */
export async function readBodyText(request: Request): Promise<string> {
  const length = request.headers.get("content-length");
  const declared = Number(length ?? 0);
  if (declared > BODY_LIMIT) throw new BodyTooLarge();
  if (request.method === "GET" || request.method === "HEAD") return "";
  const coding = request.headers.get("content-encoding")?.trim();
  if (coding && coding.toLowerCase() !== "identity" && length !== "0")
    throw new EncodedBody(coding.slice(0, 40));
  // A declared length within the limit bounds the body (Node's parser holds the client to it), so
  // read it whole: @hono/node-server then reads the socket directly instead of building a web stream.
  if (length !== null && /^\d+$/.test(length)) return request.text();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > BODY_LIMIT) {
      await lingerOn(reader);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A UTF-16 code unit of a surrogate pair with no partner: JSON's `"\ud800"`, which is no text. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What no string or object key of a parsed JSON value may hold, if it does:
 * U+0000 (PostgreSQL's text columns refuse it, so it would be a 500 there and
 * stored on SQLite), or half of a surrogate pair (JSON can escape one, but
 * it is no text: stored as UTF-8 it became U+FFFD, so what was read back
 * differed from what was written and answered). Refusing both everywhere
 * keeps both backends alike without a rule per field. Walked without
 * recursion: a 1 MiB body can nest deeper than the stack.
 */
export function unstorableText(value: unknown): string | undefined {
  const problem = (text: string) =>
    text.includes("\0")
      ? "a NUL character (U+0000)"
      : LONE_SURROGATE.test(text)
        ? "half of a UTF-16 surrogate pair (\\ud800–\\udfff on its own)"
        : undefined;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === "string") {
      const found = problem(next);
      if (found) return found;
    } else if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
    } else if (next !== null && typeof next === "object") {
      for (const [key, item] of Object.entries(next)) {
        const found = problem(key);
        if (found) return found;
        pending.push(item);
      }
    }
  }
  return undefined;
}

/**
 * Whether a parsed JSON value nests arrays and objects more than `max`
 * levels deep (a scalar is 0 levels, `{}` and `[]` 1). JSON.parse reads a
 * 1 MiB body nested hundreds of thousands of levels deep, but JSON.stringify
 * runs out of stack on a value nested some thousands deep. Walked without
 * recursion, like unstorableText.
 */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop() as [unknown, number];
    if (next === null || typeof next !== "object") continue;
    if (depth + 1 > max) return true;
    for (const item of Array.isArray(next) ? next : Object.values(next)) pending.push([item, depth + 1]);
  }
  return false;
}

/** How deep a free-form JSON value an API stores as text may nest (the value itself is level 1). */
const MAX_STORED_DEPTH = 512;

/**
 * A zod refinement's arguments for such a value (2.x client `metadata`, a
 * login's `context`): deeper than MAX_STORED_DEPTH, JSON.stringify would run
 * out of stack storing it (a 500).
 */
export function storableDepth(field: string) {
  return [
    (value: unknown) => !nestsDeeperThan(value, MAX_STORED_DEPTH),
    `${field} may be nested at most ${MAX_STORED_DEPTH} levels deep`,
  ] as const;
}

/** The one key a JSON object can hold that a plain object cannot keep as its own. */
export const PROTO_KEY = "__proto__";

/**
 * A JSON object whose keys are data (a policy's conditions, a token's extra
 * claims), as z.record reads it, but refusing the key `__proto__`: z.record
 * leaves it out without a word (assigning it would set the result's
 * prototype), so a condition keyed so would vanish and its policy allow
 * without it. Other keys, `constructor` and `prototype` among them, are own
 * keys like any; whoever looks one up reads own keys only.
 */
export function dataRecord<V extends z.ZodType>(value: V) {
  return z
    .unknown()
    .superRefine((input, ctx) => {
      if (input !== null && typeof input === "object" && Object.hasOwn(input, PROTO_KEY)) {
        ctx.addIssue({ code: "custom", path: [PROTO_KEY], message: `"${PROTO_KEY}" may not be a key` });
      }
    })
    .pipe(z.record(z.string(), value));
}

/** Describes the first problem zod found, naming the field, for a 400 message. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "The request body is invalid";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Why a JSON body was refused: the status, and the description for either face's error format. */
export interface BodyRefusal {
  status: 400 | 413 | 415;
  description: string;
  /** The body was JSON but not of the schema's type (the 2.x face names that error per operation). */
  schema: boolean;
}

/**
 * Reads a JSON request body and parses it with a zod schema, for both faces
 * (each turns a refusal into its own error format). A body over 1 MiB is a
 * 413, one sent compressed (Content-Encoding) a 415; one that cannot be read, malformed JSON, a
 * string or key holding U+0000 or half a surrogate pair (`unstorableText`) or a wrong type is a
 * 400. An empty body parses as `emptyAs` when given, else it is a 400.
 */
export async function parseJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  emptyAs?: unknown,
): Promise<{ ok: true; data: z.output<S> } | ({ ok: false } & BodyRefusal)> {
  const refuse = (status: 400 | 413 | 415, description: string, schema = false) => ({
    ok: false as const,
    status,
    description,
    schema,
  });
  let text: string;
  try {
    text = await readBodyText(request);
  } catch (error) {
    if (error instanceof BodyTooLarge) return refuse(413, "The request body is larger than 1 MiB");
    if (error instanceof EncodedBody) return refuse(415, error.message);
    return refuse(400, "The request body could not be read");
  }
  let value: unknown;
  if (text.trim() === "") {
    if (emptyAs === undefined) return refuse(400, "A JSON request body is required");
    value = emptyAs;
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      return refuse(400, "The request body is not valid JSON");
    }
    const unstorable = unstorableText(value);
    if (unstorable) return refuse(400, `The request body holds ${unstorable}, which no field may hold`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return refuse(400, describeZodError(parsed.error), true);
  return { ok: true, data: parsed.data };
}

/** parseJsonBody for the 2017 API: a refusal is its ApiError (400 / 413). */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  emptyAs?: unknown,
): Promise<z.output<S>> {
  const body = await parseJsonBody(c.req.raw, schema, emptyAs);
  if (body.ok) return body.data;
  if (body.status === 415) throw new ApiError(415, body.description);
  throw body.status === 413 ? ApiError.payloadTooLarge() : ApiError.badRequest(body.description);
}

/** Parses a path or query value that must be a non-negative integer, else 400. */
export function readIntegerQuery(
  c: Context,
  name: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw ApiError.badRequest(`${name} must be a non-negative integer`);
  return Math.min(Number(raw), max);
}
