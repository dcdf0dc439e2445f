import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { HydraError } from "./errors.ts";

/** One request of the API client: the body, if any, already serialised. */
export interface ApiRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** The answer: its status and its whole body as text. */
export interface ApiAnswer {
  status: number;
  text(): Promise<string>;
}

/**
 * What the API client needs of HTTP: the subset of fetch it uses, so Node's
 * fetch (or a test's scripted one) fits too.
 */
export type Fetch = (url: string, request: ApiRequest) => Promise<ApiAnswer>;

/**
 * The most of an answer's body the app reads. A consent request or a client
 * is a few kilobytes; the longest answer, Hydra 2.x's list of a person's
 * consent sessions (500 at most, each with its whole client), stays well
 * under this. A server that sends more (a broken or hostile one: HYDRA_URL
 * and HYDRA_ADMIN_URL may be any server of the API) would otherwise be
 * buffered whole, hundreds of megabytes in one page request, and past V8's
 * longest string an exception outside any request.
 */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** An answer over MAX_ANSWER_BYTES: refused as soon as it is known, its connection dropped. */
export class AnswerTooLarge extends Error {
  override readonly name = "AnswerTooLarge";
  constructor() {
    super(`the answer is over ${MAX_ANSWER_BYTES} bytes`);
  }
}

/** An answer too large to read, as the pages see it: one the app cannot use (bad_response). */
export function answerTooLarge(operation: string, error: AnswerTooLarge, details: Record<string, unknown>) {
  return new HydraError("bad_response", `${operation}: the answer is too large`, {
    operation,
    ...details,
    reason: error.message,
  });
}

/** An answer's JSON, or undefined when it is none. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The API client's HTTP: node:http on Node's global agents, which keep
 * connections alive (and drop an idle one before the server would). Every
 * sign-in makes two or three of these calls, and Node's fetch costs about
 * three times the CPU of node:http per call (WHATWG Request, Response and
 * Headers, web streams for the body) for nothing this client uses. Why not
 * the undici package's request(): a second copy of undici (Node's fetch
 * keeps its own loaded) costs ≈ 20 MB of RSS per process. Redirects are not
 * followed (the API answers none). The signal aborts the request and the
 * reading of its body; the whole body is read before this resolves, and one
 * over MAX_ANSWER_BYTES rejects with AnswerTooLarge.
 */
export const httpFetch: Fetch = (url, { method, headers, body, signal }) =>
  new Promise((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const outgoing = send(url, { method, headers, signal }, (response) => {
      const tooLarge = () => {
        reject(new AnswerTooLarge());
        response.destroy();
        outgoing.destroy();
      };
      if (Number(response.headers["content-length"]) > MAX_ANSWER_BYTES) return tooLarge();
      const chunks: Buffer[] = [];
      let length = 0;
      response.on("data", (chunk: Buffer) => {
        length += chunk.length;
        if (length > MAX_ANSWER_BYTES) return tooLarge();
        chunks.push(chunk);
      });
      response.on("end", () => {
        const text = Buffer.concat(chunks, length).toString("utf8");
        resolve({ status: response.statusCode ?? 0, text: async () => text });
      });
      // The connection closed or the signal aborted before the body's end.
      response.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });

/**
 * A fetch Response's body as text, reading at most MAX_ANSWER_BYTES
 * (Response.text() and json() buffer whatever comes): AnswerTooLarge past
 * that, the stream cancelled. The request's signal still aborts the reading.
 */
export async function boundedText(response: Response): Promise<string> {
  if (Number(response.headers.get("content-length")) > MAX_ANSWER_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw new AnswerTooLarge();
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    length += value.byteLength;
    if (length > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => {});
      throw new AnswerTooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}
