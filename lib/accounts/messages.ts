import type { PasswordAssessment } from "@/lib/users/password-policy.ts";
import type { MailOutcome } from "./accounts.ts";

const MAIL_FAILED = "We could not send the email. Please try again in a moment.";

function wait(until: Date, now: Date): string {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** What a person is told when an email could not go out; the same whether or not an account exists. */
export function mailFailureMessage(outcome: Exclude<MailOutcome, { ok: true }>, now = new Date()): string {
  if (outcome.code === "mail_failed") return MAIL_FAILED;
  return `Too many emails were asked for this address or from your network. Please wait ${wait(outcome.retryAt, now)} before trying again.`;
}

/** The server's answer about a new password: the meter's words, for forms sent without JavaScript. */
export function passwordProblem(assessment: PasswordAssessment): string | undefined {
  return assessment.problem && `${assessment.label}: ${assessment.problem}`;
}
