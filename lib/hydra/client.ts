import type { z } from "zod";
import { withDeadline } from "@/common/deadline.ts";
import { HydraError, isTimeout } from "./errors.ts";
import { AnswerTooLarge, type ApiAnswer, answerTooLarge, type Fetch, httpFetch, safeJson } from "./http.ts";
import {
  answeredClient,
  apiErrorEnvelope,
  type ConsentDecision,
  type ConsentRequestAcceptance,
  type ConsentRequestRejection,
  consentDecision,
  type LogoutAcceptance,
  type LogoutRequest,
  logoutAcceptance,
  logoutRequest,
  MAX_SUBJECT_GRANTS,
  type OAuth2Client,
  type OAuth2ConsentRequest,
  oAuth2Client,
  oAuth2ConsentRequest,
  oauthError,
  type SubjectGrant,
  subjectGrant,
  tokenResponse,
} from "./schemas.ts";

interface HydraClientOptions {
  /** The server's base URL (HYDRA_URL), without a trailing slash. */
  url: string;
  clientId: string;
  clientSecret: string;
  /** The HTTP client (default: node:http, see httpFetch). */
  fetch?: Fetch;
  /** Time limit of one call: waiting for the token, its requests and reading the answer (default 5 s). */
  timeoutMs?: number;
  now?: () => number;
}

/** The scopes this app's token needs: consent requests, and reading clients. */
const HYDRA_SCOPES = "hydra.consent hydra.clients";

/** Renew the token this long before it expires, so it never lapses in flight. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * The typed client for the Hydra API that everything in the consent app uses.
 * It speaks HTTP only, so it works against the embedded server or any other
 * server of this API. Its own client-credentials token is cached until
 * shortly before it expires, and fetched again once if the server refuses it.
 */
export class HydraClient {
  private readonly fetch: Fetch;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private token: { value: string; renewAt: number } | undefined;
  private pendingToken: Promise<string> | undefined;

  constructor(private readonly options: HydraClientOptions) {
    this.fetch = options.fetch ?? httpFetch;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** `GET /oauth2/consent/requests/{id}` */
  getConsentRequest(id: string): Promise<OAuth2ConsentRequest> {
    // include=client: Portico sends the client along (other servers ignore it; see loadConsent).
    const path = `/oauth2/consent/requests/${encodeURIComponent(id)}?include=client`;
    return this.call("get consent request", "GET", path, {
      schema: oAuth2ConsentRequest,
    });
  }

  /** `GET /oauth2/consent/requests/{id}/decision` (an addition): the answer given, until the browser uses it. */
  getConsentDecision(id: string): Promise<ConsentDecision> {
    return this.call(
      "get consent decision",
      "GET",
      `/oauth2/consent/requests/${encodeURIComponent(id)}/decision`,
      { schema: consentDecision },
    );
  }

  /** `PATCH /oauth2/consent/requests/{id}/accept` */
  async acceptConsentRequest(id: string, acceptance: ConsentRequestAcceptance): Promise<void> {
    await this.call(
      "accept consent request",
      "PATCH",
      `/oauth2/consent/requests/${encodeURIComponent(id)}/accept`,
      { body: acceptance },
    );
  }

  /** `PATCH /oauth2/consent/requests/{id}/reject` */
  async rejectConsentRequest(id: string, rejection: ConsentRequestRejection): Promise<void> {
    await this.call(
      "reject consent request",
      "PATCH",
      `/oauth2/consent/requests/${encodeURIComponent(id)}/reject`,
      { body: rejection },
    );
  }

  /** `GET /oauth2/logout/requests/{id}` (an addition to the 2017 API: RP-initiated sign-out) */
  getLogoutRequest(id: string): Promise<LogoutRequest> {
    return this.call("get logout request", "GET", `/oauth2/logout/requests/${encodeURIComponent(id)}`, {
      schema: logoutRequest,
    });
  }

  /** `PATCH /oauth2/logout/requests/{id}/accept`: the session this app ended; where the browser goes next. */
  acceptLogoutRequest(id: string, ended: { subject?: string; sid?: string }): Promise<LogoutAcceptance> {
    return this.call(
      "accept logout request",
      "PATCH",
      `/oauth2/logout/requests/${encodeURIComponent(id)}/accept`,
      { body: ended, schema: logoutAcceptance },
    );
  }

  /**
   * `DELETE /oauth2/auth/sessions/login?sid=|subject=` (an addition): tells the server this app ended
   * one session, or every session of a person, so the apps they signed in to are told (back-channel).
   */
  async endLoginSessions(ended: { sid: string } | { subject: string }): Promise<void> {
    await this.call(
      "end login sessions",
      "DELETE",
      `/oauth2/auth/sessions/login?${new URLSearchParams(ended)}`,
      {},
    );
  }

  /** `GET /clients/{id}` */
  getClient(id: string): Promise<OAuth2Client> {
    return this.call("get client", "GET", `/clients/${encodeURIComponent(id)}`, { schema: oAuth2Client });
  }

  /** `GET /oauth2/auth/sessions/consent/{subject}`: every client holding live tokens or grants of the person. */
  listSubjectGrants(subject: string): Promise<SubjectGrant[]> {
    return this.call(
      "list subject grants",
      "GET",
      `/oauth2/auth/sessions/consent/${encodeURIComponent(subject)}`,
      { schema: subjectGrant.array().max(MAX_SUBJECT_GRANTS) },
    );
  }

  /**
   * `DELETE /oauth2/auth/sessions/consent/{subject}[/{client}]`: revokes every
   * token and grant of the person for one client, or for every client.
   */
  async revokeSubjectGrants(subject: string, clientId?: string): Promise<void> {
    const path = `/oauth2/auth/sessions/consent/${encodeURIComponent(subject)}`;
    await this.call(
      "revoke subject grants",
      "DELETE",
      clientId === undefined ? path : `${path}/${encodeURIComponent(clientId)}`,
      {},
    );
  }

  /**
   * `DELETE /oauth2/auth/subjects/{subject}`: the person was deleted. The
   * server revokes everything they granted and refuses any later refresh or
   * code exchange for them.
   */
  async deleteSubject(subject: string): Promise<void> {
    await this.call("delete subject", "DELETE", `/oauth2/auth/subjects/${encodeURIComponent(subject)}`, {});
  }

  /**
   * One call, its time limit (timeoutMs) covering every request it makes (the token's, a second one
   * after a refused token) and reading the answer.
   */
  private call<T>(
    operation: string,
    method: string,
    path: string,
    request: { schema?: z.ZodType<T>; body?: unknown },
  ): Promise<T> {
    return withDeadline(this.timeoutMs, async (signal) => {
      const send = async () =>
        this.send(operation, method, path, request.body, await this.accessToken(operation, signal), signal);
      let response = await send();
      if (response.status === 401) {
        // The cached token may have been revoked or the server restarted with new keys: one fresh try.
        this.token = undefined;
        await response.text().catch(() => "");
        response = await send();
      }
      if (!isOk(response)) throw await this.failure(operation, response);
      if (!request.schema) {
        await response.text().catch(() => "");
        return undefined as T;
      }
      return this.parse(operation, response, request.schema);
    });
  }

  private async send(
    operation: string,
    method: string,
    path: string,
    body: unknown,
    token: string,
    signal: AbortSignal,
  ): Promise<ApiAnswer> {
    try {
      return await this.fetch(`${this.options.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (error) {
      throw sendFailure(operation, this.options.url, error);
    }
  }

  private async failure(operation: string, response: ApiAnswer): Promise<HydraError> {
    const text = await response.text().catch(() => "");
    const envelope = apiErrorEnvelope.safeParse(safeJson(text));
    const details = {
      operation,
      status: response.status,
      ...(envelope.success && envelope.data.error.message ? { message: envelope.data.error.message } : {}),
    };
    switch (response.status) {
      case 404:
        return new HydraError("not_found", `${operation}: not found`, details);
      case 410:
        return new HydraError("expired", `${operation}: expired`, details);
      case 409: {
        // Portico's addition for an answered consent request read with ?include=client.
        const answered = answeredClient.safeParse(safeJson(text));
        return new HydraError(
          "already_handled",
          `${operation}: already handled`,
          details,
          answered.success ? answered.data.client : undefined,
        );
      }
      case 401:
      case 403:
        return new HydraError("unauthorized", `${operation}: refused (${response.status})`, details);
      case 503:
        // The server says it cannot serve at the moment (its database is down): try again later.
        return new HydraError("unreachable", `${operation}: temporarily unavailable`, details);
      default:
        return new HydraError("bad_response", `${operation}: unexpected status ${response.status}`, details);
    }
  }

  private async parse<T>(operation: string, response: ApiAnswer, schema: z.ZodType<T>): Promise<T> {
    const parsed = schema.safeParse(safeJson(await response.text().catch(() => "")));
    if (!parsed.success) {
      throw new HydraError("bad_response", `${operation}: the response does not match the API`, {
        operation,
        status: response.status,
        issues: parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join(".")}: ${issue.message}`),
      });
    }
    return parsed.data;
  }

  /**
   * The cached token, or the one being fetched. The token request has a time
   * limit of its own, but a call waits for it only until the call's own limit
   * (`signal`): a call that started late in another call's token request, or
   * needs a second token after a refusal, must not wait longer than it may.
   */
  private accessToken(operation: string, signal: AbortSignal): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    // One token request at a time, however many pages need it at once.
    this.pendingToken ??= this.requestToken().finally(() => {
      this.pendingToken = undefined;
    });
    const pending = this.pendingToken;
    if (signal.aborted) return Promise.reject(sendFailure(operation, this.options.url, signal.reason));
    return new Promise((resolve, reject) => {
      const abort = () => reject(sendFailure(operation, this.options.url, signal.reason));
      signal.addEventListener("abort", abort, { once: true });
      pending.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
    });
  }

  private requestToken(): Promise<string> {
    return withDeadline(this.timeoutMs, (signal) => this.requestTokenWithin(signal));
  }

  private async requestTokenWithin(signal: AbortSignal): Promise<string> {
    const operation = "client credentials token";
    const { url, clientId, clientSecret } = this.options;
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
      "base64",
    );
    const issuedAt = this.now();
    let response: ApiAnswer;
    try {
      response = await this.fetch(`${url}/oauth2/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${basic}`,
          "content-type": "application/x-www-form-urlencoded",
          accept: "application/json",
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope: HYDRA_SCOPES }).toString(),
        signal,
      });
    } catch (error) {
      throw sendFailure(operation, url, error);
    }
    const body = safeJson(await response.text().catch(() => ""));
    if (!isOk(response)) {
      const error = oauthError.safeParse(body);
      throw new HydraError(
        response.status === 400 || response.status === 401
          ? "unauthorized"
          : response.status === 503
            ? "unreachable"
            : "bad_response",
        `${operation}: refused (${response.status})`,
        {
          operation,
          status: response.status,
          clientId,
          ...(error.success ? { error: error.data.error } : {}),
        },
      );
    }
    const parsed = tokenResponse.safeParse(body);
    if (!parsed.success) {
      throw new HydraError("bad_response", `${operation}: the response does not match RFC 6749`, {
        operation,
        status: response.status,
      });
    }
    const lifetimeMs = (parsed.data.expires_in ?? 300) * 1000;
    this.token = {
      value: parsed.data.access_token,
      renewAt: issuedAt + Math.max(lifetimeMs - EXPIRY_MARGIN_MS, lifetimeMs / 2),
    };
    return parsed.data.access_token;
  }
}

/** A request that brought no usable answer: none at all (unreachable), or one too large to read. */
function sendFailure(operation: string, url: string, error: unknown): HydraError {
  if (error instanceof AnswerTooLarge) return answerTooLarge(operation, error, { url });
  const reason =
    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  return new HydraError("unreachable", `${operation}: ${url} did not answer`, {
    operation,
    url,
    reason,
    ...(isTimeout(error) ? { timedOut: true } : {}),
  });
}

function isOk(response: ApiAnswer): boolean {
  return response.status >= 200 && response.status < 300;
}
