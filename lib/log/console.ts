import { format, stripVTControlCharacters } from "node:util";
import type { Logger } from "@/common/log.ts";
import { pageRequest } from "@/common/page-request.ts";
import { ACTION_CALL_HEADER, actionStarted } from "@/lib/actions/calls.ts";

// Next.js's own prefixes (U+2A2F for an error, U+26A0 for a warning): a log line has its level.
const PREFIX = /^\s*[\u2A2F\u26A0]\s*/u;

/**
 * Sends what Next.js (or any library in this process) writes with
 * `console.error` and `console.warn` — a page or server action that failed,
 * a request it refused — to `log` as JSON lines, like every other line of
 * both halves: the text as the message, an Error among the arguments as
 * `err` (its stack, and Next.js's `digest`, which the error page shows as
 * its reference). Next.js prints plain, multi-line text otherwise.
 *
 * A report about a form post whose server action never started is the
 * request's fault (a body Next.js could not decode; the front answers it
 * with a 400): a warning with the error's message, no stack.
 */
export function routeConsoleToLog(log: Logger): void {
  const route =
    (at: "error" | "warn") =>
    (...args: unknown[]): void => {
      const error = args.find((arg): arg is Error => arg instanceof Error);
      const text = args
        .filter((arg) => arg !== error)
        .map((arg) => (typeof arg === "string" ? arg : format("%o", arg)))
        .join(" ");
      const plain = stripVTControlCharacters(text).replace(PREFIX, "").trim();
      const message = plain || (error ? `${error.name}: ${error.message}` : "");
      if (at === "error" && refusedFormPost()) {
        // A form post Next.js could not decode: the front answers it with a 400 (lib/front.ts). Anyone
        // can send one, so it is a warning without a stack, not an error of the app.
        log.warn(message, { refusedFormPost: true, ...(error ? { reason: error.message } : {}) });
        return;
      }
      log[at](message, error ? { err: error } : undefined);
    };
  console.error = route("error");
  console.warn = route("warn");
}

/** Whether the page request being answered is a form post whose server action never started. */
function refusedFormPost(): boolean {
  const req = pageRequest();
  // Only a form post carries the front's id (a page load's header is the client's own).
  const id = req?.method === "POST" ? req.headers[ACTION_CALL_HEADER] : undefined;
  return typeof id === "string" && !actionStarted(id);
}
