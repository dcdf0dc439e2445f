import { connect, type Socket } from "node:net";
import nodemailer from "nodemailer";
import SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { Logger } from "@/common/log.ts";
import type { MailMessage } from "./messages.ts";

export type MailResult = { sent: true } | { sent: false };

export interface Mailer {
  /**
   * Sends one message. Never throws: a failure is logged with its reason and
   * answered `{sent: false}`, so the caller can tell the person to try again.
   */
  send(to: string, message: MailMessage): Promise<MailResult>;
}

/** How long a silent mail server may hold a request, in any one phase, before it counts as down. */
const TIMEOUT_MS = 10_000;

/** What nodemailer's transport hands getSocket: the server from SMTP_URL. */
interface SocketOptions {
  host?: string;
  port?: number | string;
  secure?: boolean;
}
type GetSocket = (
  options: SocketOptions,
  callback: (error: Error | null, socket?: { connection: Socket } | false) => void,
) => void;

/** An error a socket is destroyed with, named and coded like nodemailer's own. */
function socketError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Opens the connection to the mail server itself (nodemailer's getSocket
 * hook, which it offers for proxies), so the caller holds the socket and
 * can cut it: nodemailer's send has no way to be stopped. TLS (smtps, or
 * STARTTLS) is still nodemailer's, over this socket. A proxy configured in
 * SMTP_URL (`?proxy=`) keeps working: its socket is the one held.
 */
function heldSocket(proxied: GetSocket | undefined, hold: (socket: Socket) => void): GetSocket {
  return (options, callback) => {
    if (proxied) {
      return proxied(options, (error, socket) => {
        if (socket) hold(socket.connection);
        callback(error, socket);
      });
    }
    const port = Number(options.port) || (options.secure ? 465 : 587);
    const socket = connect({ host: options.host || "localhost", port });
    hold(socket);
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(socketError("Connection timeout", "ETIMEDOUT")));
    const failed = (error: Error) => callback(error);
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.setTimeout(0);
      socket.off("error", failed);
      callback(null, { connection: socket });
    });
  };
}

/** A host whose traffic never leaves this machine: no one between Portico and it to read or strip anything. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * What nodemailer is given for SMTP_URL: the URL without its credentials, and
 * the credentials themselves, each percent-decoded on its own. nodemailer's
 * own reading decodes user and password together and then splits them at the
 * first ":", so a user name holding a ":" (written %3A) lost its end to the
 * password; and a stray "%" (not %XX) made it throw on every message.
 *
 * With credentials, `smtp://` to a server off this machine requires STARTTLS
 * (nodemailer's requireTLS): by default nodemailer upgrades only when the
 * server offers STARTTLS, so a server without it, or anyone on the path who
 * strips the offer from the EHLO answer, got the password in the clear (and
 * every reset link after it). `?requireTLS=false` (or `?ignoreTLS=true`) in
 * SMTP_URL still says plain on purpose; smtps:// is TLS from the start.
 */
function smtpOptions(smtpUrl: string): {
  url: string;
  auth?: { user: string; pass: string };
  requireTLS?: boolean;
} {
  const url = new URL(smtpUrl);
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const credentials = user !== "" || pass !== "";
  url.username = "";
  url.password = "";
  const chosen = url.searchParams.has("requireTLS") || url.searchParams.has("ignoreTLS");
  const requireTLS =
    credentials && url.protocol === "smtp:" && !chosen && !isLoopback(url.hostname) ? true : undefined;
  return {
    url: url.toString(),
    ...(credentials ? { auth: { user, pass } } : {}),
    ...(requireTLS ? { requireTLS } : {}),
  };
}

/**
 * Email over SMTP (`smtpUrl`, e.g. smtp://user:pass@host:587 or smtps://…),
 * or, without one, into the log: each message's recipient, subject and links,
 * so that the quickstart works without a mail server.
 */
export function createMailer(options: {
  smtpUrl: string | undefined;
  from: string;
  log: Logger;
  /**
   * The most one message may take, start to end (SMTP_TIMEOUT): the phase
   * timeouts below bound each wait, but a server that trickles a byte now
   * and then resets them and could hold the send, and the person's request
   * with it, for ever. Past it the connection is cut and the message counts
   * as not sent.
   */
  timeoutMs?: number;
  /**
   * The name to greet the server with (EHLO/HELO), from ISSUER's host
   * (lib/config/env.ts `ehloName`); `?name=` in SMTP_URL wins. Undefined:
   * nodemailer's own (the machine's hostname if it has a dot, else `[127.0.0.1]`).
   */
  ehloName?: string;
}): Mailer {
  const { smtpUrl, from, log } = options;
  const deadlineMs = options.timeoutMs ?? 30_000;
  if (!smtpUrl) {
    return {
      async send(to, message) {
        log.info("email not sent (no SMTP_URL, or SMTP_URL=log); its content follows", {
          to,
          subject: message.subject,
          links: message.links,
        });
        return { sent: true };
      },
    };
  }
  // The SMTP transport is made here, not by createTransport(smtpUrl, …): createTransport's second
  // argument is the messages' defaults, so timeouts given there never reached the connection, which
  // then waited nodemailer's own (30 s for a greeting, 10 minutes of silence mid-conversation).
  // Options in the URL's query still win over these (`?name=` over ISSUER's host as the EHLO name). One transport per message: its socket is the
  // message's own, to cut at the deadline.
  const server = smtpOptions(smtpUrl);
  const host = new URL(smtpUrl).host;
  const phaseMs = Math.min(TIMEOUT_MS, deadlineMs);
  const transportFor = (hold: (socket: Socket) => void) => {
    const transport = nodemailer.createTransport(
      new SMTPTransport({
        ...server,
        ...(options.ehloName ? { name: options.ehloName } : {}),
        connectionTimeout: phaseMs,
        greetingTimeout: phaseMs,
        socketTimeout: phaseMs,
        dnsTimeout: phaseMs,
      }),
    );
    const hooked = transport as unknown as { getSocket?: GetSocket | false };
    hooked.getSocket = heldSocket(hooked.getSocket || undefined, hold);
    return transport;
  };
  return {
    async send(to, message) {
      // Every socket of this message, cut when the deadline passes (one opened later at once).
      const sockets: Socket[] = [];
      let expired: Error | undefined;
      const transport = transportFor((socket) => {
        if (expired) socket.destroy(expired);
        else sockets.push(socket);
      });
      const timer = setTimeout(() => {
        expired = socketError(`the message took longer than ${deadlineMs} ms`, "ETIMEDOUT");
        for (const socket of sockets) socket.destroy(expired);
      }, deadlineMs);
      try {
        await transport.sendMail({
          from,
          to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          // RFC 3834: an automatic message, so vacation responders and list software do not answer it.
          headers: { "Auto-Submitted": "auto-generated" },
        });
        log.info("email sent", { subject: message.subject });
        return { sent: true };
      } catch (error) {
        // The server and nodemailer's reason ("connect ECONNREFUSED …", "535 Authentication failed");
        // neither carries the message's links nor the SMTP password.
        const code = error instanceof Error && "code" in error ? String(error.code) : undefined;
        const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
        // TLS Portico required (a password to a server off this machine) and the server did not offer.
        const hint =
          server.requireTLS && code === "ETLS"
            ? "SMTP_URL has a password, so smtp:// needs STARTTLS: use smtps://, or add ?requireTLS=false to send the password in the clear"
            : undefined;
        log.error("could not send an email", {
          server: host,
          subject: message.subject,
          code,
          reason,
          ...(hint ? { hint } : {}),
        });
        return { sent: false };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
