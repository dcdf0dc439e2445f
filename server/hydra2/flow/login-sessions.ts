import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import type { Database } from "@/db/client.ts";
import type { SignIn } from "@/server/flow/model.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { hashToken, randomToken } from "@/server/tokens/secrets.ts";

/** A remembered login with `remember_for: 0` lasts as long as the browser keeps the session cookie, at most this. */
const BROWSER_SESSION_MAX_MS = 30 * 24 * 3_600_000;
const COOKIE = "portico_login_session";
const COOKIE_PATH = "/oauth2";

interface LoginSession {
  id: string;
  subject: string;
  signIn: SignIn;
  expiresAt: Date;
}

/**
 * The cookie of a remembered login: only /oauth2/auth and the end-session
 * endpoint (/oauth2/sessions/logout) read it; Lax, so the return from the
 * apps carries it.
 */
export function loginSessionCookie(
  secret: string,
  maxAgeSeconds: number | undefined,
  secure: boolean,
): string {
  return generateCookie(COOKIE, secret, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Lax",
    secure,
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  });
}

/** Drops the remembered login from the browser (sign-out, or a new login that is not to be remembered). */
export function clearedLoginSessionCookie(secure: boolean): string {
  return generateCookie(COOKIE, "", {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Lax",
    secure,
    maxAge: 0,
  });
}

export function readLoginSessionCookie(c: Context): string | undefined {
  const value = getCookie(c, COOKIE);
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/**
 * Hydra's authentication sessions and remembered consents, for the 2.x
 * face. A login session is stored under an HMAC of the cookie's secret, so
 * the table holds nothing a browser could present.
 */
export class Hydra2Sessions {
  constructor(
    private readonly db: Database,
    private readonly hashKey: Buffer,
  ) {}

  /** Starts a remembered login; answers the cookie's secret. `rememberFor` 0 means "this browser session". */
  async startLogin(
    subject: string,
    signIn: SignIn,
    rememberFor: number,
  ): Promise<{ session: LoginSession; secret: string }> {
    const secret = randomToken();
    const expiresAt = new Date(Date.now() + (rememberFor > 0 ? rememberFor * 1000 : BROWSER_SESSION_MAX_MS));
    const id = hashToken(this.hashKey, secret);
    await this.db.loginSession.create({
      data: {
        id,
        subject,
        authTime: signIn.authTime,
        amr: JSON.stringify(signIn.amr),
        acr: signIn.acr ?? null,
        expiresAt,
      },
    });
    return { session: { id, subject, signIn, expiresAt }, secret };
  }

  /** The live session a cookie's secret names. */
  async findLogin(secret: string | undefined): Promise<LoginSession | null> {
    return secret ? this.getLogin(hashToken(this.hashKey, secret)) : null;
  }

  async getLogin(id: string): Promise<LoginSession | null> {
    const row = await this.db.loginSession.findUnique({ where: { id } });
    if (!row || row.expiresAt.getTime() <= Date.now()) return null;
    return {
      id: row.id,
      subject: row.subject,
      signIn: {
        authTime: row.authTime,
        amr: JSON.parse(row.amr) as string[],
        ...(row.acr ? { acr: row.acr } : {}),
      },
      expiresAt: row.expiresAt,
    };
  }

  /** Ends remembered logins: every one of a subject, or one by its id. */
  async endLogins(where: { subject: string } | { id: string }): Promise<number> {
    const { count } = await this.db.loginSession.deleteMany({ where });
    return count;
  }

  /** Ends one login session, expired or not; answers whose it was (null: there was none). */
  async endLogin(id: string): Promise<{ subject: string } | null> {
    if (!id || id.length > 128) return null;
    const row = await this.db.loginSession.findUnique({ where: { id }, select: { subject: true } });
    if (!row) return null;
    await this.db.loginSession.deleteMany({ where: { id } });
    return row;
  }

  async rememberConsent(
    subject: string,
    clientId: string,
    scopes: string[],
    rememberFor: number,
  ): Promise<void> {
    const expiresAt = rememberFor > 0 ? new Date(Date.now() + rememberFor * 1000) : null;
    await this.db.rememberedConsent.upsert({
      where: { subject_clientId: { subject, clientId } },
      create: { subject, clientId, scopes: scopes.join(" "), expiresAt },
      update: { scopes: scopes.join(" "), expiresAt },
    });
  }

  /** Whether a remembered consent of the subject for the client covers every one of `scopes`. */
  async consentCovers(subject: string, clientId: string, scopes: string[]): Promise<boolean> {
    const row = await this.db.rememberedConsent.findUnique({
      where: { subject_clientId: { subject, clientId } },
    });
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return false;
    const granted = splitScopes(row.scopes);
    return scopes.every((scope) => granted.includes(scope));
  }

  async forgetConsents(subject: string, clientId?: string): Promise<void> {
    await this.db.rememberedConsent.deleteMany({ where: clientId ? { subject, clientId } : { subject } });
  }
}
