import type { SignInOutcome } from "@/lib/users/authenticate.ts";

export const WRONG_CREDENTIALS = "The email or password is incorrect.";

/** What a lock holds back (only a pair or an address is ever locked; an account alone only slows down). */
const WHAT = {
  account: "this account",
  pair: "this account from your network",
  address: "your network",
} as const;

function wait(until: Date, now: Date): string {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/**
 * What a failed sign-in tells the person, in plain words: never which of the
 * two fields was wrong, always how long to wait when attempts are throttled.
 */
export function signInFailureMessage(
  outcome: Exclude<SignInOutcome, { ok: true }>,
  now = new Date(),
): string {
  const { throttle } = outcome;
  const what = throttle.allowed ? "" : WHAT[throttle.scope];
  if (outcome.code === "throttled" && !throttle.allowed) {
    return throttle.reason === "lock"
      ? `Sign-in for ${what} is locked for ${wait(throttle.retryAt, now)} after too many failed attempts. Please try again later.`
      : `Too many failed attempts. Please wait ${wait(throttle.retryAt, now)} before trying again.`;
  }
  if (throttle.allowed) return WRONG_CREDENTIALS;
  return throttle.reason === "lock"
    ? `${WRONG_CREDENTIALS} After too many failed attempts, sign-in for ${what} is now locked for ${wait(throttle.retryAt, now)}.`
    : `${WRONG_CREDENTIALS} After several failed attempts, please wait ${wait(throttle.retryAt, now)} before trying again.`;
}

/** What a form says when a Hydra 2.x step cannot be answered; the details went to the log. */
export function stepProblemMessage(code: string, reference: string): string {
  switch (code) {
    case "already_handled":
      return "This sign-in request was already answered. Go back to the app and start again.";
    case "not_found":
      return "This sign-in request no longer exists or has expired. Go back to the app and start again.";
    case "unreachable":
      return "We cannot reach the sign-in service right now. Please try again in a moment.";
    default:
      return `Something went wrong on our side. Please try again later (reference ${reference}).`;
  }
}
