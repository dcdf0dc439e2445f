/** What an API answers while the database is unavailable (503), in each face's error format. */
export const DATABASE_UNAVAILABLE = "The database is unavailable at the moment; try again later";

/**
 * Whether an error says that the database cannot be used at the moment — the
 * server is down or unreachable, refuses our credentials or the database, or
 * (SQLite) the file is locked by another process, read-only or cannot be
 * opened — rather than that a statement was wrong. Such a request is an
 * outage (503), not a defect (500), and it heals once the database is back;
 * at start it is the operator's DATABASE_URL or database, not a bug.
 *
 * Answers a short reason for the log (the driver's code and first line: they
 * name the host, port, user or file, never a password), or undefined.
 */
export function databaseUnavailable(error: unknown): string | undefined {
  // Prisma and the driver adapters wrap the driver's error in `cause`.
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) {
    const code = (at as { code?: unknown }).code;
    const message = at.message.trim().split("\n").pop()?.trim() ?? "";
    const reason = typeof code === "string" ? `${code}: ${message}` : message;
    if (
      typeof code === "string" &&
      (UNAVAILABLE_CODES.has(code) ||
        /^(08|57P|SQLITE_(BUSY|LOCKED|READONLY|CANTOPEN|IOERR|FULL))/.test(code))
    )
      return reason;
    if (UNAVAILABLE_MESSAGES.test(message)) return reason;
  }
  return undefined;
}

const UNAVAILABLE_CODES = new Set([
  // The network (pg's socket).
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  // PostgreSQL: the server refuses us (SQLSTATE; classes 08 and 57P above).
  "28000", // invalid authorization
  "28P01", // wrong password
  "3D000", // no such database
  "53300", // too many connections
  // Prisma: can't reach, authentication, timeouts, closed connection, pool exhausted.
  "P1000",
  "P1001",
  "P1002",
  "P1003",
  "P1008",
  "P1017",
  "P2024",
]);

/** pg's own errors when a connection ends or cannot be had; they carry no code. */
const UNAVAILABLE_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|database is locked|The server does not support SSL connections)/;
