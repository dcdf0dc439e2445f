import { randomBytes } from "node:crypto";
import { sealData, unsealData } from "iron-session";
import type { LRUCache } from "lru-cache";
import { z } from "zod";
import { boundedCache } from "@/common/bounded-cache.ts";
import { BROWSER_SESSION_SECONDS, REMEMBER_ME_SECONDS } from "./store.ts";

/**
 * The app's session: one iron-session sealed (encrypted and signed) cookie.
 * Every visitor has one, signed in or not, because it carries the CSRF token
 * every form is checked against. Signing in or out replaces it, token included.
 * Being signed in is not the seal's to say: it carries the id of a server-side
 * session record (store.ts), which every request looks up.
 */
const sessionData = z.object({
  /** The CSRF token that every form of this session must send back. */
  csrf: z.string().min(32),
  /** Present once signed in: names the server-side session record, which must still exist. */
  session: z
    .object({
      /** The secret session id (the record keeps only its hash). */
      id: z.string().min(32),
      /** "Remember me": a 30-day cookie instead of a browser-session one. */
      persistent: z.boolean(),
      /**
       * The consent request this sign-in was made for (signed in from its sign-in page): it
       * satisfies that request's prompt=login, max_age and select_account whatever the clocks say.
       */
      forRequest: z.string().min(1).max(128).optional(),
    })
    .optional(),
});
export type SessionData = z.output<typeof sessionData>;

/**
 * An opened seal: its session (undefined when it is missing, forged, expired or malformed), and
 * whether it opened only with a previous secret (a rotation): to be sealed again with the current one.
 */
interface Opening {
  data: SessionData | undefined;
  stale: boolean;
}

export { BROWSER_SESSION_SECONDS, REMEMBER_ME_SECONDS };

/** `__Host-` makes the browser refuse the cookie unless Secure, host-only and Path=/. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-portico-session" : "portico-session";
}

export function anonymousSession(): SessionData {
  return { csrf: randomBytes(32).toString("base64url") };
}

/** A new CSRF token with a signed-in session's secret id: no session fixation. */
export function signedInSession(secretId: string, persistent: boolean, forRequest?: string): SessionData {
  return {
    ...anonymousSession(),
    session: { id: secretId, persistent, ...(forRequest ? { forRequest } : {}) },
  };
}

function lifetimeSeconds(session: SessionData): number {
  return session.session?.persistent ? REMEMBER_ME_SECONDS : BROWSER_SESSION_SECONDS;
}

/**
 * Seals a session for its cookie. The seal is also kept as opened (see
 * below): the requests that follow send it back, and the one that made it
 * may read it at once (the pages' front hands a new visitor's seal to the page).
 */
export async function sealSession(session: SessionData, secret: string): Promise<string> {
  const data = sessionData.parse(session);
  const seal = await sealData(data, { password: secret, ttl: lifetimeSeconds(data) });
  keepOpening(seal, secret, Promise.resolve({ data, stale: false }));
  return seal;
}

/**
 * Cookies this process has already unsealed (or sealed itself), by their
 * exact text. Unsealing derives two keys (PBKDF2) and checks a MAC, and a
 * browser sends the same seal until its session changes; the same text under
 * the same secret always opens to the same data, so a seal need not be opened
 * again until it expires. An unseal still running is shared too, so that the
 * parts of one page asking at once open it once. Bounded, so a flood of
 * forged cookies (which never open, and are never kept) cannot grow it.
 *
 * One per process (globalThis), not one per copy of this module: the pages'
 * front and the consent step (dist/app) are bundled apart from the pages
 * (Next.js), and each would otherwise open the same seal again.
 */
interface Opened {
  secret: string;
  opening: Promise<Opening>;
  expiresAt: number;
}
const holder = globalThis as typeof globalThis & { porticoOpenedSeals?: LRUCache<string, Opened> };
holder.porticoOpenedSeals ??= boundedCache<string, Opened>(10_000);
const opened = holder.porticoOpenedSeals;

/** An iron seal's expiry (ms since the epoch; its sixth `*`-separated field). */
function sealExpiry(seal: string): number {
  return Number(seal.split("*")[5]);
}

function keepOpening(seal: string, secret: string, opening: Promise<Opening>): void {
  const expiresAt = sealExpiry(seal);
  if (Number.isFinite(expiresAt)) opened.set(seal, { secret, opening, expiresAt });
}

async function openWith(seal: string, secret: string): Promise<SessionData | undefined> {
  const data = await unsealData(seal, { password: secret }).catch(() => ({}));
  const parsed = sessionData.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

/** Opens with the current secret, else (only then) with each previous one. */
async function open(seal: string, secret: string, previous: readonly string[]): Promise<Opening> {
  const data = await openWith(seal, secret);
  if (data) return { data, stale: false };
  for (const old of previous) {
    const found = await openWith(seal, old);
    if (found) return { data: found, stale: true };
  }
  return { data: undefined, stale: false };
}

/** The session in a cookie, or undefined when it is missing, forged, expired or malformed. */
export async function unsealSession(
  seal: string | undefined,
  secret: string,
  previous: readonly string[] = [],
): Promise<SessionData | undefined> {
  return (await openSession(seal, secret, previous)).data;
}

/**
 * As unsealSession, and whether the seal opened only with a previous secret
 * (COOKIE_SECRET_PREVIOUS, SYSTEM_SECRET_PREVIOUS): the front seals such a
 * cookie again with the current secret, so a rotation signs no one out.
 */
export async function openSession(
  seal: string | undefined,
  secret: string,
  previous: readonly string[] = [],
): Promise<Opening> {
  if (!seal) return { data: undefined, stale: false };
  const known = opened.get(seal);
  let found: Opening;
  if (known && known.secret === secret && known.expiresAt > Date.now()) {
    found = await known.opening;
  } else {
    const opening = open(seal, secret, previous);
    keepOpening(seal, secret, opening);
    found = await opening;
    // What does not open is not kept: forged cookies must not fill the cache.
    if (!found.data && opened.get(seal)?.opening === opening) opened.delete(seal);
  }
  return { data: found.data && structuredClone(found.data), stale: found.stale };
}

/** HttpOnly, SameSite=Lax, Secure on https; persistent only with "Remember me". */
export function sessionCookieOptions(session: SessionData, secure: boolean) {
  return {
    httpOnly: true,
    sameSite: "lax" as const,
    secure,
    path: "/",
    ...(session.session?.persistent ? { maxAge: REMEMBER_ME_SECONDS } : {}),
  };
}
