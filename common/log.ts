export type LogLevel = "error" | "warn" | "info" | "debug";

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One line per event on stderr, the same format for both halves (the consent
 * app labels its lines `[consent]`). Callers pass facts, never secrets:
 * tokens, client secrets, passwords, consent verifiers and private keys are
 * never handed to the logger.
 */
export function createLogger(level: LogLevel, label?: string): Logger {
  const tag = label ? ` [${label}]` : "";
  const write = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] > ORDER[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    process.stderr.write(`${new Date().toISOString()} ${at.toUpperCase()}${tag} ${message}${extra}\n`);
  };
  return { error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}

/** What an unexpected error may show in a log: its kind and first message line, no stack, no request data. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error: error.name, message: error.message.split("\n")[0] };
  return { error: String(error) };
}
