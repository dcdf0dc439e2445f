import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

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
 * The API client's HTTP: node:http on Node's global agents, which keep
 * connections alive (and drop an idle one before the server would). Every
 * sign-in makes two or three of these calls, and Node's fetch costs about
 * three times the CPU of node:http per call (WHATWG Request, Response and
 * Headers, web streams for the body) for nothing this client uses. Why not
 * the undici package's request(): a second copy of undici (Node's fetch
 * keeps its own loaded) costs ≈ 20 MB of RSS per process. Redirects are not
 * followed (the API answers none). The signal aborts the request and the
 * reading of its body; the whole body is read before this resolves.
 */
export const httpFetch: Fetch = (url, { method, headers, body, signal }) =>
  new Promise((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const outgoing = send(url, { method, headers, signal }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text: async () => text }));
      // The connection closed or the signal aborted before the body's end.
      response.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
