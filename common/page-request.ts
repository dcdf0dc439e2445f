import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The page request Next.js is answering and its response, for code that runs
 * inside Next.js without being handed them: the console's log lines
 * (lib/log/console.ts) tell a report about a form post Next.js could not
 * decode — the request's fault, answered with a 400 — from a failure of the
 * app, and a page that shows a failure of the API answers its 5xx through the
 * response (lib/actions/page-status.ts). The server (server/serve.ts) runs
 * Next.js's handler inside it for every request that passed the pages' front.
 * The server and Next.js bundle this module apart, so the store lives on
 * `globalThis`.
 */
const STORE = Symbol.for("portico.pageRequest");

interface PageAnswer {
  req: IncomingMessage;
  res: ServerResponse;
}

function store(): AsyncLocalStorage<PageAnswer> {
  const global = globalThis as { [STORE]?: AsyncLocalStorage<PageAnswer> };
  global[STORE] ??= new AsyncLocalStorage();
  return global[STORE];
}

export function answeringPage<T>(req: IncomingMessage, res: ServerResponse, answer: () => T): T {
  return store().run({ req, res }, answer);
}

/** The page request being answered, if any. */
export function pageRequest(): IncomingMessage | undefined {
  return store().getStore()?.req;
}

/** The response to the page request being answered, if any. */
export function pageResponse(): ServerResponse | undefined {
  return store().getStore()?.res;
}
