import { createHmac } from "node:crypto";
import { type Database, rawQueries } from "@/db/client.ts";
import { CONSENT_REQUEST_ROW } from "@/db/rows.ts";
import type { ConsentRequest as Row } from "@/generated/prisma/sqlite/client.ts";
import { EMPTY_OIDC_CONTEXT, type OidcContext, type SignIn, type StepError } from "@/server/flow/model.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";
import { constantTimeEqual, hashToken, randomToken } from "@/server/tokens/secrets.ts";
import { type ConsentDecisionWire, type OAuth2ConsentRequestWire, oidcWireFields } from "./schemas.ts";

type ConsentStatus = "pending" | "accepted" | "rejected";

/** A consent request as the server holds it; the wire model shows only part of it. */
export interface ConsentRequest {
  id: string;
  clientId: string;
  requestedScopes: string[];
  /** The authorization URL the browser returns to, without the verifier (the row holds no secret). */
  returnUrl: string;
  /** The authorization request's parameters, in order, as the client sent them. */
  parameters: [string, string][];
  verifierHash: string;
  bindingHash: string;
  expiresAt: Date;
  status: ConsentStatus;
  subject: string | null;
  grantScopes: string[];
  accessTokenExtra: Record<string, unknown>;
  idTokenExtra: Record<string, unknown>;
  decidedAt: Date | null;
  usedAt: Date | null;
  /** When /oauth2/auth stored it: what prompt=login and max_age are measured against. */
  requestedAt: Date;
  oidc: OidcContext;
  /** The sign-in an acceptance rests on; null when the app did not say (then: the decision's time). */
  signIn: SignIn | null;
  /** What a rejection is told to the client as. */
  rejectError: StepError | null;
  /** Hydra 2.x face: when its login step was accepted, and when the browser returned from it. */
  loginAcceptedAt: Date | null;
  loginVerifiedAt: Date | null;
  /** Remember the accepted login: seconds (0: this browser session); null: do not. */
  loginRememberFor: number | null;
  /** The remembered login that covered the request (its login step is skipped) or that it started. */
  loginSessionId: string | null;
  /** Hydra 2.x face: the access-token audience the consent granted. */
  grantAudience: string[];
}

/** A decision of the 2017 face: one answer for the login and the consent step. */
interface ConsentDecision {
  subject: string;
  grantScopes: string[];
  accessTokenExtra: Record<string, unknown>;
  idTokenExtra: Record<string, unknown>;
  signIn?: SignIn;
  /** The access-token audience granted (Hydra 2.x's grant_access_token_audience). */
  grantAudience?: string[];
}

interface StoredSignIn {
  authTime: string;
  amr: string[];
  acr?: string;
  sid?: string;
}

function signInFromJson(text: string | null): SignIn | null {
  if (text === null) return null;
  const stored = JSON.parse(text) as StoredSignIn;
  return { ...stored, authTime: new Date(stored.authTime) };
}

/** Why a consent request can no longer be decided. */
type Undecidable = "expired" | "decided";

type Db = Pick<Database, "consentRequest">;

interface ConsentKeys {
  /** Derives a request's verifier from its id: GET can show it while the row holds only its hash. */
  verifier: Buffer;
  /** Hashes the verifier and the browser-binding cookie for storage. */
  hash: Buffer;
}

function parseJson<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}

function fromRow(row: Row): ConsentRequest {
  return {
    id: row.id,
    clientId: row.clientId,
    requestedScopes: splitScopes(row.requestedScopes),
    returnUrl: row.redirectUrl,
    parameters: JSON.parse(row.authRequest) as [string, string][],
    verifierHash: row.verifierHash,
    bindingHash: row.bindingHash,
    expiresAt: row.expiresAt,
    status: row.status as ConsentStatus,
    subject: row.subject,
    grantScopes: splitScopes(row.grantScopes),
    accessTokenExtra: parseJson(row.accessTokenExtra, {}),
    idTokenExtra: parseJson(row.idTokenExtra, {}),
    decidedAt: row.decidedAt,
    usedAt: row.usedAt,
    requestedAt: row.createdAt,
    oidc: { ...EMPTY_OIDC_CONTEXT, ...parseJson<Partial<OidcContext>>(row.oidcContext, {}) },
    signIn: signInFromJson(row.login),
    rejectError: (row.rejectError as StepError | null) ?? null,
    loginAcceptedAt: row.loginAcceptedAt,
    loginVerifiedAt: row.loginVerifiedAt,
    loginRememberFor: row.loginRememberFor,
    loginSessionId: row.loginSessionId,
    grantAudience: splitScopes(row.grantAudience),
  };
}

/**
 * Consent requests (see ARCHITECTURE.md, "The authorization-code flow"). `/oauth2/auth`
 * creates one and binds it to the browser; the consent app reads and
 * decides it; `/oauth2/auth` then uses it once, from that browser, with the
 * verifier that only `redirectUrl` carries. Lifetime: CHALLENGE_TOKEN_LIFESPAN.
 */
export class ConsentRequests {
  constructor(
    private readonly db: Database,
    private readonly authorizationEndpoint: string,
    private readonly lifespanMs: number,
    private readonly keys: ConsentKeys,
  ) {}

  get lifespanSeconds(): number {
    return Math.ceil(this.lifespanMs / 1000);
  }

  /** Stores a request; answers it with the browser-binding value for the cookie. */
  async create(input: {
    clientId: string;
    requestedScopes: string[];
    parameters: [string, string][];
    oidc?: OidcContext;
  }): Promise<{ request: ConsentRequest; binding: string }> {
    const id = randomToken(16);
    const binding = randomToken();
    const query = new URLSearchParams([...input.parameters, ["consent", id]]);
    const row = await this.db.consentRequest.create({
      data: {
        id,
        clientId: input.clientId,
        requestedScopes: input.requestedScopes.join(" "),
        redirectUrl: `${this.authorizationEndpoint}?${query}`,
        authRequest: JSON.stringify(input.parameters),
        verifierHash: hashToken(this.keys.hash, this.verifier(id)),
        bindingHash: hashToken(this.keys.hash, binding),
        expiresAt: new Date(Date.now() + this.lifespanMs),
        oidcContext: JSON.stringify(input.oidc ?? EMPTY_OIDC_CONTEXT),
      },
    });
    return { request: fromRow(row), binding };
  }

  async get(id: string): Promise<ConsentRequest | null> {
    if (!id || id.length > 64) return null;
    const row = await rawQueries(this.db).rowByKey(CONSENT_REQUEST_ROW, id);
    return row ? fromRow(row) : null;
  }

  /** Whether the consent app may still read or decide the request. */
  undecidable(request: ConsentRequest, now = Date.now()): Undecidable | undefined {
    if (request.status !== "pending" || request.usedAt) return "decided";
    if (request.expiresAt.getTime() <= now) return "expired";
    return undefined;
  }

  toWire(request: ConsentRequest): OAuth2ConsentRequestWire {
    const verifier = new URLSearchParams({ consent_verifier: this.verifier(request.id) });
    return {
      id: request.id,
      audience: request.clientId,
      requestedScopes: request.requestedScopes,
      redirectUrl: `${request.returnUrl}&${verifier}`,
      expiresAt: request.expiresAt.toISOString(),
      ...oidcWireFields(request),
    };
  }

  /**
   * The decision on a request the browser has not used yet, with where it
   * sends the browser: the consent app leads a person who answered twice
   * (a form submitted twice) on to the app rather than to an error.
   */
  decisionToWire(request: ConsentRequest): ConsentDecisionWire {
    const { redirectUrl } = this.toWire(request);
    return request.status === "accepted"
      ? { status: "accepted", subject: request.subject ?? "", grantScopes: request.grantScopes, redirectUrl }
      : { status: "rejected", error: request.rejectError ?? "access_denied", redirectUrl };
  }

  /** Records an acceptance once; false when the request was decided, used or expired meanwhile. */
  async accept(id: string, decision: ConsentDecision): Promise<boolean> {
    const { signIn } = decision;
    return this.decide(id, {
      status: "accepted",
      subject: decision.subject,
      grantScopes: decision.grantScopes.join(" "),
      grantAudience: (decision.grantAudience ?? []).join(" "),
      accessTokenExtra: JSON.stringify(decision.accessTokenExtra),
      idTokenExtra: JSON.stringify(decision.idTokenExtra),
      ...(signIn ? { login: JSON.stringify({ ...signIn, authTime: signIn.authTime.toISOString() }) } : {}),
    });
  }

  async reject(id: string, reason: string, error: StepError = "access_denied"): Promise<boolean> {
    return this.decide(id, { status: "rejected", rejectReason: reason, rejectError: error });
  }

  /**
   * A face that answers the login and the consent step one by one (Hydra
   * 2.x) records the login first: who signed in and how. The request stays
   * undecided until its consent step; false when the login was answered,
   * or the request decided, used or expired meanwhile.
   */
  async acceptLogin(id: string, subject: string, signIn: SignIn, rememberFor?: number): Promise<boolean> {
    const now = new Date();
    const { count } = await this.db.consentRequest.updateMany({
      where: { id, status: "pending", usedAt: null, loginAcceptedAt: null, expiresAt: { gt: now } },
      data: {
        subject,
        login: JSON.stringify({ ...signIn, authTime: signIn.authTime.toISOString() }),
        loginAcceptedAt: now,
        loginRememberFor: rememberFor ?? null,
      },
    });
    return count === 1;
  }

  /**
   * A remembered login covers a new request: the login step will be shown
   * with `skip`, for this subject only. Or, once the browser is back from
   * the login step, the session its login started.
   */
  async setLoginSession(id: string, sessionId: string, subject?: string): Promise<void> {
    await this.db.consentRequest.update({
      where: { id },
      data: { loginSessionId: sessionId, ...(subject !== undefined ? { subject } : {}) },
    });
  }

  /** The browser came back from an accepted login step: once only; then the consent step may start. */
  async verifyLogin(id: string): Promise<boolean> {
    const now = new Date();
    const { count } = await this.db.consentRequest.updateMany({
      where: {
        id,
        status: "pending",
        usedAt: null,
        loginAcceptedAt: { not: null },
        loginVerifiedAt: null,
        expiresAt: { gt: now },
      },
      data: { loginVerifiedAt: now },
    });
    return count === 1;
  }

  /** The verifier of one step (Hydra 2.x's login_verifier, consent_verifier), derived like the 2017 one. */
  stepVerifier(id: string, step: "login" | "consent"): string {
    return createHmac("sha256", this.keys.verifier).update(`${step}:${id}`).digest("base64url");
  }

  matchesStepVerifier(id: string, step: "login" | "consent", verifier: string): boolean {
    return constantTimeEqual(
      hashToken(this.keys.hash, verifier),
      hashToken(this.keys.hash, this.stepVerifier(id, step)),
    );
  }

  matchesBinding(request: ConsentRequest, cookie: string | undefined): boolean {
    return cookie !== undefined && constantTimeEqual(hashToken(this.keys.hash, cookie), request.bindingHash);
  }

  matchesVerifier(request: ConsentRequest, verifier: string | undefined): boolean {
    return (
      verifier !== undefined && constantTimeEqual(hashToken(this.keys.hash, verifier), request.verifierHash)
    );
  }

  /** Uses a decided, unexpired request; false when it was used already (or meanwhile). */
  async consume(id: string, db: Db = this.db): Promise<boolean> {
    const now = new Date();
    const { count } = await db.consentRequest.updateMany({
      where: { id, usedAt: null, status: { in: ["accepted", "rejected"] }, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    return count === 1;
  }

  private verifier(id: string): string {
    return createHmac("sha256", this.keys.verifier).update(id).digest("base64url");
  }

  private async decide(id: string, data: Record<string, string>): Promise<boolean> {
    const now = new Date();
    const { count } = await this.db.consentRequest.updateMany({
      where: { id, status: "pending", usedAt: null, expiresAt: { gt: now } },
      data: { ...data, decidedAt: now },
    });
    return count === 1;
  }
}
