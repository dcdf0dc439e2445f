/**
 * The most sessions one person keeps, on both halves: the app's own sign-in
 * sessions (lib/session/store.ts) and the Hydra 2.x face's login sessions
 * (server/hydra2/flow/login-sessions.ts). A sign-in past it ends the
 * person's least recently used ones (the oldest begun, for the 2.x login
 * sessions, which record no later use), so that signing in again and again (a script, a
 * browser that drops its cookies) cannot grow the table, the account page's
 * list, or what "sign out everywhere" must end, without bound.
 */
export const MAX_SESSIONS_PER_PERSON = 50;
