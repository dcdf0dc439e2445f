import type { Duplex } from "node:stream";

/** What Node's HTTP parser could not take, and how it is answered. */
const ANSWERS: Record<string, { status: string; text: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: "431 Request Header Fields Too Large",
    text: "The request's header fields are too large (16 KB at most in all).",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: "408 Request Timeout",
    text: "The request did not arrive in time.",
  },
};
const MALFORMED = {
  status: "400 Bad Request",
  text: "The request is not valid HTTP/1.1 (its request line, a header or its framing could not be read).",
};

/**
 * Node's `clientError`: a request its HTTP parser refused before any handler
 * saw it (raw non-ASCII bytes in the target, headers over 16 KB, a broken
 * chunked body, a request too slow to arrive). Node answers those with an
 * empty body; this says what was wrong, in plain text as the other answers
 * made before routing (a target without a path), and closes the connection,
 * whose framing can no longer be trusted. Nothing is logged: a visitor's
 * malformed bytes are no fault of Portico's.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection, or one whose in-flight answer has begun (an error segment would corrupt it, as
  // Node's own handler knows), gets nothing more.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, text } = ANSWERS[error.code ?? ""] ?? MALFORMED;
  const body = `${text}\n`;
  // Date, as on every other answer: RFC 9110 §6.6.1 requires it on a 4xx from a server with a clock.
  socket.end(
    `HTTP/1.1 ${status}\r\ndate: ${new Date().toUTCString()}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
