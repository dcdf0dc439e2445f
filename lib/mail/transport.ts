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

/** How long a slow or silent mail server may hold a request before it counts as down. */
const TIMEOUT_MS = 10_000;

/**
 * Email over SMTP (`smtpUrl`, e.g. smtp://user:pass@host:587 or smtps://…),
 * or, without one, into the log: each message's recipient, subject and links,
 * so that the quickstart works without a mail server.
 */
export function createMailer(options: { smtpUrl: string | undefined; from: string; log: Logger }): Mailer {
  const { smtpUrl, from, log } = options;
  if (!smtpUrl) {
    return {
      async send(to, message) {
        log.info("email not sent (SMTP_URL is not set); its content follows", {
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
  // Options in the URL's query still win over these.
  const transport = nodemailer.createTransport(
    new SMTPTransport({
      url: smtpUrl,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
      dnsTimeout: TIMEOUT_MS,
    }),
  );
  const server = new URL(smtpUrl).host;
  return {
    async send(to, message) {
      try {
        await transport.sendMail({
          from,
          to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
        log.info("email sent", { subject: message.subject });
        return { sent: true };
      } catch (error) {
        // The server and nodemailer's reason ("connect ECONNREFUSED …", "535 Authentication failed");
        // neither carries the message's links nor the SMTP password.
        const code = error instanceof Error && "code" in error ? String(error.code) : undefined;
        const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
        log.error("could not send an email", { server, subject: message.subject, code, reason });
        return { sent: false };
      }
    },
  };
}
