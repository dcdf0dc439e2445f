import { createHmac } from "node:crypto";
import { type Database, rawQueries } from "@/db/client.ts";
import { changesOneRow, insertRow, type Param, type Write } from "@/db/raw.ts";
import { CONSENT_REQUEST_ROW } from "@/db/rows.ts";
import type { ConsentRequest as Row } from "@/generated/prisma/sqlite/client.ts";
import {
  EMPTY_OIDC_CONTEXT,
  type OidcContext,
  type SignIn,
  STEP_ERRORS,
  type StepError,
} from "@/server/flow/model.ts";
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
  /** What a rejection is told to the client as (the 2017 face's codes; any other code reads as access_denied). */
  rejectError: StepError | null;
  /** Hydra 2.x face: a rejection as the app wrote it, forwarded to the client: its code and description. */
  rejection: { error: string; description: string | null } | null;
  /** Hydra 2.x face: when its login step was accepted, and when the browser returned from it. */
  loginAcceptedAt: Date | null;
  loginVerifiedAt: Date | null;
  /** Remember the accepted login: seconds (0: this browser session); null: do not. */
  loginRememberFor: number | null;
  /** The remembered login that covered the request (its login step is skipped) or that it started. */
  loginSessionId: string | null;
  /** Hydra 2.x face: the access-token audience the consent granted. */
  grantAudience: string[];
  /** Hydra 2.x face: the `context` the login step was accepted with (any JSON), for the consent step; `{}` when none. */
  loginContext: unknown;
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
  /** Hydra 2.x face: the login step's `context`, kept beside the sign-in until the consent step. */
  context?: unknown;
}

/** The request's `login` column: the sign-in, and the login step's context (Hydra 2.x; `{}` without one). */
function loginFromJson(text: string | null): { signIn: SignIn | null; context: unknown } {
  if (text === null) return { signIn: null, context: {} };
  const { context, ...stored } = JSON.parse(text) as StoredSignIn;
  return { signIn: { ...stored, authTime: new Date(stored.authTime) }, context: context ?? {} };
}

/** Why a consent request can no longer be decided. */
type Undecidable = "expired" | "decided";

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
  const login = loginFromJson(row.login);
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
    signIn: login.signIn,
    rejectError: stepErrorOf(row.rejectError),
    rejection:
      row.status === "rejected" && row.rejectError !== null
        ? { error: row.rejectError, description: row.rejectReason }
        : null,
    loginAcceptedAt: row.loginAcceptedAt,
    loginVerifiedAt: row.loginVerifiedAt,
    loginRememberFor: row.loginRememberFor,
    loginSessionId: row.loginSessionId,
    grantAudience: splitScopes(row.grantAudience),
    loginContext: login.context,
  };
}

function stepErrorOf(code: string | null): StepError | null {
  if (code === null) return null;
  return (STEP_ERRORS as readonly string[]).includes(code) ? (code as StepError) : "access_denied";
}

/** What an undecided request must still be for a step to be recorded: pending, unused, unexpired. */
const UNDECIDED = `"id" = $_ AND "status" = 'pending' AND "usedAt" IS NULL AND "expiresAt" > $_`;

/** Numbers the `$_` placeholders of a statement in order ($1…$n), so each clause reads on its own. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\$_/g, () => `$${++n}`);
}

const WRITES = {
  // A 2017 decision without a sign-in keeps the one a Hydra 2.x login step recorded.
  accept: numbered(`UPDATE "consent_requests" SET "status" = 'accepted', "subject" = $_, "grantScopes" = $_,
    "grantAudience" = $_, "accessTokenExtra" = $_, "idTokenExtra" = $_, "login" = COALESCE($_, "login"),
    "decidedAt" = $_ WHERE ${UNDECIDED}`),
  reject:
    numbered(`UPDATE "consent_requests" SET "status" = 'rejected', "rejectReason" = $_, "rejectError" = $_,
    "decidedAt" = $_ WHERE ${UNDECIDED}`),
  acceptLogin: numbered(`UPDATE "consent_requests" SET "subject" = $_, "login" = $_, "loginAcceptedAt" = $_,
    "loginRememberFor" = $_ WHERE ${UNDECIDED} AND "loginAcceptedAt" IS NULL`),
  verifyLogin: numbered(`UPDATE "consent_requests" SET "loginVerifiedAt" = $_,
    "loginSessionId" = COALESCE($_, "loginSessionId") WHERE ${UNDECIDED} AND "loginAcceptedAt" IS NOT NULL AND "loginVerifiedAt" IS NULL`),
  setLoginSession:
    numbered(`UPDATE "consent_requests" SET "loginSessionId" = $_, "subject" = COALESCE($_, "subject")
    WHERE "id" = $_`),
  // A remembered login that ended before the login step was accepted no longer covers the request.
  forgetLoginSession: numbered(`UPDATE "consent_requests" SET "loginSessionId" = NULL, "subject" = NULL
    WHERE ${UNDECIDED} AND "loginAcceptedAt" IS NULL AND "loginSessionId" = $_`),
  use: numbered(`UPDATE "consent_requests" SET "usedAt" = $_
    WHERE "id" = $_ AND "usedAt" IS NULL AND "status" IN ('accepted', 'rejected') AND "expiresAt" > $_`),
};

/**
 * Consent requests (see ARCHITECTURE.md, "The authorization-code flow"). `/oauth2/auth`
 * creates one and binds it to the browser; the consent app reads and
 * decides it; `/oauth2/auth` then uses it once, from that browser, with the
 * verifier that only `redirectUrl` carries. Lifetime: CHALLENGE_TOKEN_LIFESPAN.
 */
export class ConsentRequests {
  private readonly raw;

  constructor(
    db: Database,
    private readonly authorizationEndpoint: string,
    private readonly lifespanMs: number,
    private readonly keys: ConsentKeys,
  ) {
    this.raw = rawQueries(db);
  }

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
    const row: Row = {
      id,
      clientId: input.clientId,
      requestedScopes: input.requestedScopes.join(" "),
      redirectUrl: `${this.authorizationEndpoint}?${query}`,
      authRequest: JSON.stringify(input.parameters),
      verifierHash: hashToken(this.keys.hash, this.verifier(id)),
      bindingHash: hashToken(this.keys.hash, binding),
      expiresAt: new Date(Date.now() + this.lifespanMs),
      status: "pending",
      subject: null,
      grantScopes: null,
      accessTokenExtra: null,
      idTokenExtra: null,
      rejectReason: null,
      oidcContext: JSON.stringify(input.oidc ?? EMPTY_OIDC_CONTEXT),
      login: null,
      rejectError: null,
      loginAcceptedAt: null,
      loginVerifiedAt: null,
      loginRememberFor: null,
      loginSessionId: null,
      decidedAt: null,
      usedAt: null,
      createdAt: new Date(),
      grantAudience: "",
    };
    await this.raw.transaction([insertRow(CONSENT_REQUEST_ROW, row)]);
    return { request: fromRow(row), binding };
  }

  async get(id: string): Promise<ConsentRequest | null> {
    if (!id || id.length > 64) return null;
    const row = await this.raw.rowByKey(CONSENT_REQUEST_ROW, id);
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

  /**
   * Records an acceptance once; false when the request was decided, used or
   * expired meanwhile. `alongside`: writes of the face that belong to the
   * decision (a remembered consent), in the same transaction: all or nothing.
   */
  async accept(id: string, decision: ConsentDecision, alongside: readonly Write[] = []): Promise<boolean> {
    const { signIn } = decision;
    const now = new Date();
    return this.recorded(
      WRITES.accept,
      [
        decision.subject,
        decision.grantScopes.join(" "),
        (decision.grantAudience ?? []).join(" "),
        JSON.stringify(decision.accessTokenExtra),
        JSON.stringify(decision.idTokenExtra),
        signIn ? storedSignIn(signIn) : null,
        now,
        id,
        now,
      ],
      alongside,
    );
  }

  /**
   * Records a rejection once: `error` is what the client is told (the 2017
   * face's step errors, or a Hydra 2.x app's own code), `reason` the app's
   * description, if any.
   */
  async reject(id: string, reason: string | null, error: string = "access_denied"): Promise<boolean> {
    const now = new Date();
    return this.recorded(WRITES.reject, [reason, error, now, id, now]);
  }

  /**
   * A face that answers the login and the consent step one by one (Hydra
   * 2.x) records the login first: who signed in and how. The request stays
   * undecided until its consent step; false when the login was answered,
   * or the request decided, used or expired meanwhile. `context`: the app's
   * data for its consent step (Hydra's `context`), stored with the sign-in.
   */
  async acceptLogin(
    id: string,
    subject: string,
    signIn: SignIn,
    rememberFor?: number,
    context?: unknown,
  ): Promise<boolean> {
    const now = new Date();
    return this.recorded(WRITES.acceptLogin, [
      subject,
      storedSignIn(signIn, context),
      now,
      rememberFor ?? null,
      id,
      now,
    ]);
  }

  /**
   * A remembered login covers a new request: the login step will be shown
   * with `skip`, for this subject only. Or, once the browser is back from
   * the login step, the session its login started.
   */
  async setLoginSession(id: string, sessionId: string, subject?: string): Promise<void> {
    if (!(await this.recorded(WRITES.setLoginSession, [sessionId, subject ?? null, id]))) {
      throw new Error(`The consent request ${id} does not exist`);
    }
  }

  /**
   * The remembered login `sessionId` that covered the request ended before its login step was
   * accepted (signed out everywhere, on any instance): the request is no longer covered — no
   * `skip`, no subject — as if it had started without it. Answers whether it changed the request.
   */
  async forgetLoginSession(id: string, sessionId: string): Promise<boolean> {
    return this.recorded(WRITES.forgetLoginSession, [id, new Date(), sessionId]);
  }

  /**
   * The browser came back from an accepted login step: once only; then the
   * consent step may start. A login that starts a login session records it
   * here, its insert among `alongside`, in the same transaction: of two
   * returns with one verifier, only the one that verifies writes anything.
   * False when the login was verified (or the request decided, used or
   * expired) already; a refusal of `alongside` is answered as it is.
   */
  async verifyLogin<Refusal extends string = never>(
    id: string,
    started?: { loginSessionId: string; alongside: readonly Write<Refusal>[] },
  ): Promise<boolean | Refusal> {
    const now = new Date();
    const refused = await this.raw.transaction<"unchanged" | Refusal>([
      changesOneRow(WRITES.verifyLogin, [now, started?.loginSessionId ?? null, id, now], "unchanged"),
      ...(started?.alongside ?? []),
    ]);
    return refused === undefined ? true : refused === "unchanged" ? false : refused;
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
  async consume(id: string): Promise<boolean> {
    return (await this.raw.transaction([this.use(id)])) === undefined;
  }

  /**
   * Using a decided, unexpired request, as a write of a larger transaction:
   * refused ("used") when it was used already, or meanwhile.
   */
  use(id: string): Write<"used"> {
    const now = new Date();
    return changesOneRow(WRITES.use, [now, id, now], "used");
  }

  private verifier(id: string): string {
    return createHmac("sha256", this.keys.verifier).update(id).digest("base64url");
  }

  /** Runs one conditional UPDATE, then `alongside`, as one transaction; whether it changed the request. */
  private async recorded(sql: string, values: Param[], alongside: readonly Write[] = []): Promise<boolean> {
    return (
      (await this.raw.transaction([changesOneRow(sql, values, "unchanged"), ...alongside])) === undefined
    );
  }
}

/** A sign-in as the request's `login` column holds it (JSON, the time as ISO 8601), with a login step's context. */
function storedSignIn(signIn: SignIn, context?: unknown): string {
  const stored: StoredSignIn = {
    ...signIn,
    authTime: signIn.authTime.toISOString(),
    ...(context !== undefined ? { context } : {}),
  };
  return JSON.stringify(stored);
}
