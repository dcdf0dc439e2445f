import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage } from "node:http";

/**
 * The page request Next.js is answering, for code that runs inside Next.js
 * without being handed the request: the console's log lines (lib/log/console.ts)
 * tell a report about a form post Next.js could not decode — the request's
 * fault, answered with a 400 — from a failure of the app. The server
 * (server/serve.ts) runs Next.js's handler inside it for a page's POST. The server and Next.js
 * bundle this module apart, so the store lives on `globalThis`.
 */
const STORE = Symbol.for("portico.pageRequest");

function store(): AsyncLocalStorage<IncomingMessage> {
  const global = globalThis as { [STORE]?: AsyncLocalStorage<IncomingMessage> };
  global[STORE] ??= new AsyncLocalStorage();
  return global[STORE];
}

export function answeringPage<T>(req: IncomingMessage, answer: () => T): T {
  return store().run(req, answer);
}

export function pageRequest(): IncomingMessage | undefined {
  return store().getStore();
}
