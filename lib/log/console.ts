import { format, stripVTControlCharacters } from "node:util";
import type { Logger } from "@/common/log.ts";

// Next.js's own prefixes (U+2A2F for an error, U+26A0 for a warning): a log line has its level.
const PREFIX = /^\s*[\u2A2F\u26A0]\s*/u;

/**
 * Sends what Next.js (or any library in this process) writes with
 * `console.error` and `console.warn` — a page or server action that failed,
 * a request it refused — to `log` as JSON lines, like every other line of
 * both halves: the text as the message, an Error among the arguments as
 * `err` (its stack, and Next.js's `digest`, which the error page shows as
 * its reference). Next.js prints plain, multi-line text otherwise.
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
      log[at](message, error ? { err: error } : undefined);
    };
  console.error = route("error");
  console.warn = route("warn");
}
