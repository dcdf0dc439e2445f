/** How recently a person must have entered their password to change their account. */
export const RECENT_SIGN_IN_SECONDS = 10 * 60;

/** Whether a sign-in at `authTime` (seconds since the epoch) is recent enough to change the account. */
export function signedInRecently(authTime: number, now = Date.now()): boolean {
  return now / 1000 - authTime <= RECENT_SIGN_IN_SECONDS;
}
