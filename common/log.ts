import pino, { type DestinationStream } from "pino";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

// Callers pass facts, never secrets. Should a field with one of these names
// reach the logger anyway (at the top level, or one level down, as in
// `headers.authorization`), its value is replaced before the line is written.
const SECRET_FIELDS = [
  "secret",
  "client_secret",
  "password",
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "authorization_code",
  "consent_verifier",
  "verifier",
  "authorization",
  "cookie",
  "private_key",
];
const REDACT = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]);

/**
 * One JSON line per event on stderr (pino), the same for both halves; the
 * consent app's lines carry `"component": "consent"`. `destination` is for
 * tests.
 */
export function createLogger(level: LogLevel, label?: string, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: label ? { component: label } : { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (name) => ({ level: name }) },
      redact: { paths: REDACT, censor: "[redacted]" },
    },
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
  const write = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (fields) logger[at](fields, message);
    else logger[at](message);
  };
  return { error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

/**
 * An unexpected error for a log line: pino writes its kind, message and stack
 * trace, so a 5xx can be traced in the log (the response never shows any of it).
 */
export function describeError(error: unknown): { err: unknown } {
  return { err: error };
}

/** The most of a value a request chose (a header, a path) that one log field holds. */
export const LOGGED_REQUEST_TEXT = 256;

/**
 * A value a request chose, for a log field: at most LOGGED_REQUEST_TEXT
 * characters and a note of how long it was. Logged whole, a request's 15 KB
 * `Origin` made a 15 KB line, as often as anyone cared to send it.
 */
export function clipped(value: string | undefined | null): string | undefined | null {
  if (typeof value !== "string" || value.length <= LOGGED_REQUEST_TEXT) return value;
  return `${value.slice(0, LOGGED_REQUEST_TEXT)}… (${value.length} characters)`;
}
