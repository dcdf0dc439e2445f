import "server-only";
import { appConfig } from "@/lib/config/index.ts";
import { log } from "@/lib/log/index.ts";
import { createMailer, type Mailer } from "./transport.ts";

let mailer: Mailer | undefined;

/** The app's one mailer, configured by SMTP_URL and MAIL_FROM. */
export function mail(): Mailer {
  const { smtpUrl, from, timeoutMs, ehloName } = appConfig().mail;
  mailer ??= createMailer({ smtpUrl, from, timeoutMs, ehloName, log: log() });
  return mailer;
}

export * from "./messages.ts";
export type { Mailer, MailResult } from "./transport.ts";
