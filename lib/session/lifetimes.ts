/**
 * How long a sign-in lasts, the one place it is set: the session record and its cookie
 * (store.ts, seal.ts), what the sign-in page promises for Remember me, and how long Hydra 2.x is
 * asked to remember a sign-in (lib/consent/hydra2.ts). It imports nothing, so a client component
 * may read it.
 */
/** With Remember me. */
export const REMEMBER_ME_SECONDS = 30 * 24 * 3600;
/** A browser-session cookie has no expiry of its own, so its record lapses after this. */
export const BROWSER_SESSION_SECONDS = 12 * 3600;
