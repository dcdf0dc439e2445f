import { createServer, type Server } from "node:http";
import { SMTPServer } from "smtp-server";

/** One message as the test SMTP server received it, decoded. */
export interface ReceivedMail {
  /** Envelope recipients, lower-cased. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  receivedAt: number;
}

function decodeQuotedPrintable(value: string): Buffer {
  const soft = value.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

function splitHeaders(part: string): { headers: Map<string, string>; body: string } {
  const at = part.search(/\r?\n\r?\n/);
  const head = at < 0 ? part : part.slice(0, at);
  const body = at < 0 ? "" : part.slice(at).replace(/^\r?\n\r?\n/, "");
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const encoding = (headers.get("content-transfer-encoding") ?? "7bit").toLowerCase();
  if (encoding === "quoted-printable") return decodeQuotedPrintable(body).toString("utf8");
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return body;
}

/** RFC 2047 encoded words in a header (nodemailer uses them for non-ASCII subjects). */
function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, kind: string, text: string) =>
    kind.toLowerCase() === "b"
      ? Buffer.from(text, "base64").toString("utf8")
      : decodeQuotedPrintable(text.replaceAll("_", " ")).toString("utf8"),
  );
}

/** Just enough MIME for what nodemailer sends: one part, or multipart/alternative of text and HTML. */
function parseMail(raw: string, to: string[], from: string): ReceivedMail {
  const { headers, body } = splitHeaders(raw);
  const mail: ReceivedMail = {
    to,
    from,
    subject: decodeHeader(headers.get("subject") ?? ""),
    text: "",
    html: "",
    receivedAt: Date.now(),
  };
  const type = headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const parts = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1)
        .filter((part) => !part.startsWith("--"))
        .map((part) => splitHeaders(part.replace(/^\r?\n/, "")))
    : [{ headers, body }];
  for (const part of parts) {
    const partType = (part.headers.get("content-type") ?? "text/plain").toLowerCase();
    if (partType.startsWith("text/html")) mail.html = decodeBody(part.headers, part.body);
    else if (partType.startsWith("text/plain")) mail.text = decodeBody(part.headers, part.body);
  }
  return mail;
}

export interface Mailbox {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  smtpUrl: string;
  /** http://127.0.0.1:<port>: GET /messages?to=<address> answers the messages for that address, as JSON. */
  httpUrl: string;
  messages(): ReceivedMail[];
  stop(): Promise<void>;
}

/**
 * A real SMTP server for tests (the `smtp-server` package), keeping every
 * message in memory, and a small HTTP face so that other processes (the
 * Playwright workers) can read the messages sent to their own addresses.
 */
export async function startMailbox(): Promise<Mailbox> {
  const received: ReceivedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        received.push(parseMail(Buffer.concat(chunks).toString("utf8"), to, from));
        callback();
      });
    },
  });
  const smtpPort = await new Promise<number>((resolve) => {
    const server = smtp.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
  const http: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://mailbox.invalid");
    const to = url.searchParams.get("to")?.toLowerCase();
    const matching = received.filter((mail) => to === undefined || mail.to.includes(to));
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(matching));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const httpAddress = http.address();
  const httpPort = typeof httpAddress === "object" && httpAddress ? httpAddress.port : 0;
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    messages: () => [...received],
    stop: async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}

/** Waits for the `count`-th message to `to` in a mailbox served over HTTP, and returns it. */
export async function waitForMail(
  httpUrl: string,
  to: string,
  options: { count?: number; timeoutMs?: number } = {},
): Promise<ReceivedMail> {
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    const response = await fetch(`${httpUrl}/messages?to=${encodeURIComponent(to)}`);
    const messages = (await response.json()) as ReceivedMail[];
    if (messages.length >= count) return messages[count - 1] as ReceivedMail;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no message number ${count} for ${to} within the time allowed`);
}

/** The first link in a message's plain text that starts with `prefix`. */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const link = mail.text.split(/\s+/).find((word) => word.startsWith(prefix));
  if (!link) throw new Error(`no link starting with ${prefix} in "${mail.subject}":\n${mail.text}`);
  return link;
}
