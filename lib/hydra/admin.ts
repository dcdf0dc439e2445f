import { Configuration, FetchError, OAuth2Api, ResponseError } from "@ory/hydra-client-fetch";
import type { z } from "zod";
import { withDeadline } from "@/common/deadline.ts";
import {
  type ConsentRequest,
  consentRequest,
  consentSession,
  errorBody,
  goneClient,
  type LoginRequest,
  type LogoutRequest,
  loginRequest,
  logoutRequest,
  redirectTo,
  v2Client,
} from "./admin-schemas.ts";
import { HydraError, isTimeout } from "./errors.ts";
import { AnswerTooLarge, answerTooLarge, boundedText, safeJson } from "./http.ts";
import { MAX_SUBJECT_GRANTS, type OAuth2Client, type SubjectGrant } from "./schemas.ts";

interface HydraAdminOptions {
  /** The admin API's base URL (HYDRA_ADMIN_URL), without a trailing slash. */
  url: string;
  fetch?: typeof fetch;
  /** Time limit of one call, reading the answer included (default 5 s). */
  timeoutMs?: number;
}

/** How a step is refused (`rejectOAuth2Request`): an OAuth 2.0 error code and its description. */
interface Rejection {
  error: "access_denied" | "login_required" | "consent_required";
  error_description: string;
}

/**
 * The login & consent app's client for Hydra 2.x's admin API, through Ory's
 * official SDK, so it works against any Ory Hydra 2.x as against Portico's
 * admin listener. The admin API has no authentication of its own (it must
 * never be reachable from the internet). Every answer is checked with the
 * schemas before use, and every failure becomes a HydraError the pages
 * explain: 404 not_found (unknown or expired), 409 and 410 already_handled,
 * no answer or a 503 unreachable, anything else bad_response.
 */
export class HydraAdminClient {
  private readonly api: OAuth2Api;
  private readonly timeoutMs: number;

  constructor(private readonly options: HydraAdminOptions) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.api = new OAuth2Api(
      new Configuration({
        basePath: options.url,
        ...(options.fetch ? { fetchApi: options.fetch } : {}),
      }),
    );
  }

  getLoginRequest(challenge: string): Promise<LoginRequest> {
    return this.call("get login request", loginRequest, (init) =>
      this.api.getOAuth2LoginRequestRaw({ loginChallenge: challenge }, init),
    );
  }

  /** Accepts the sign-in of `subject`; the answer is where the browser goes next. */
  async acceptLoginRequest(
    challenge: string,
    login: { subject: string; remember: boolean; rememberFor: number; amr: string[]; acr?: string },
  ): Promise<string> {
    const answer = await this.call("accept login request", redirectTo, (init) =>
      this.api.acceptOAuth2LoginRequestRaw(
        {
          loginChallenge: challenge,
          acceptOAuth2LoginRequest: {
            subject: login.subject,
            remember: login.remember,
            remember_for: login.rememberFor,
            amr: login.amr,
            ...(login.acr ? { acr: login.acr } : {}),
          },
        },
        init,
      ),
    );
    return answer.redirect_to;
  }

  async rejectLoginRequest(challenge: string, rejection: Rejection): Promise<string> {
    const answer = await this.call("reject login request", redirectTo, (init) =>
      this.api.rejectOAuth2LoginRequestRaw(
        { loginChallenge: challenge, rejectOAuth2Request: rejection },
        init,
      ),
    );
    return answer.redirect_to;
  }

  getConsentRequest(challenge: string): Promise<ConsentRequest> {
    return this.call("get consent request", consentRequest, (init) =>
      this.api.getOAuth2ConsentRequestRaw({ consentChallenge: challenge }, init),
    );
  }

  async acceptConsentRequest(
    challenge: string,
    consent: {
      grantScope: string[];
      grantAudience: string[];
      remember: boolean;
      rememberFor: number;
      idToken: Record<string, unknown>;
    },
  ): Promise<string> {
    const answer = await this.call("accept consent request", redirectTo, (init) =>
      this.api.acceptOAuth2ConsentRequestRaw(
        {
          consentChallenge: challenge,
          acceptOAuth2ConsentRequest: {
            grant_scope: consent.grantScope,
            grant_access_token_audience: consent.grantAudience,
            remember: consent.remember,
            remember_for: consent.rememberFor,
            session: { id_token: consent.idToken, access_token: {} },
          },
        },
        init,
      ),
    );
    return answer.redirect_to;
  }

  async rejectConsentRequest(challenge: string, rejection: Rejection): Promise<string> {
    const answer = await this.call("reject consent request", redirectTo, (init) =>
      this.api.rejectOAuth2ConsentRequestRaw(
        { consentChallenge: challenge, rejectOAuth2Request: rejection },
        init,
      ),
    );
    return answer.redirect_to;
  }

  getLogoutRequest(challenge: string): Promise<LogoutRequest> {
    return this.call("get logout request", logoutRequest, (init) =>
      this.api.getOAuth2LogoutRequestRaw({ logoutChallenge: challenge }, init),
    );
  }

  async acceptLogoutRequest(challenge: string): Promise<string> {
    const answer = await this.call("accept logout request", redirectTo, (init) =>
      this.api.acceptOAuth2LogoutRequestRaw({ logoutChallenge: challenge }, init),
    );
    return answer.redirect_to;
  }

  async rejectLogoutRequest(challenge: string): Promise<void> {
    await this.call("reject logout request", undefined, (init) =>
      this.api.rejectOAuth2LogoutRequestRaw({ logoutChallenge: challenge }, init),
    );
  }

  /** `getOAuth2Client`: what the pages show of an app. */
  getClient(id: string): Promise<OAuth2Client> {
    return this.call("get client", v2Client, (init) => this.api.getOAuth2ClientRaw({ id }, init));
  }

  /**
   * The apps the subject let in (its consent sessions; the first 500, far more than a person has).
   * A server that answers more than it was asked for is not read.
   */
  listSubjectGrants(subject: string): Promise<SubjectGrant[]> {
    return this.call("list consent sessions", consentSession.array().max(MAX_SUBJECT_GRANTS), (init) =>
      this.api.listOAuth2ConsentSessionsRaw({ subject, pageSize: MAX_SUBJECT_GRANTS }, init),
    );
  }

  /**
   * A deleted person, as Hydra 2.x hears of it (it has no subject deletion as the 2017 API does): their
   * consent sessions end, and with them their tokens, and so do the logins Hydra remembers of them.
   */
  async deleteSubject(subject: string): Promise<void> {
    await this.revokeSubjectGrants(subject);
    await this.revokeLoginSessions(subject);
  }

  /** Forgets the subject's consent to one app, or to every app, which revokes the tokens they gave. */
  async revokeSubjectGrants(subject: string, clientId?: string): Promise<void> {
    await this.call("revoke consent sessions", undefined, (init) =>
      this.api.revokeOAuth2ConsentSessionsRaw(
        clientId === undefined ? { subject, all: true } : { subject, client: clientId },
        init,
      ),
    );
  }

  /**
   * Sessions of this app's own pages ended. Those are not Hydra's logins
   * (Hydra keeps its own), so only "every session of a person" reaches
   * Hydra: all of its remembered logins of the subject end too.
   */
  async endLoginSessions(ended: { sid: string } | { subject: string }): Promise<void> {
    if ("subject" in ended) await this.revokeLoginSessions(ended.subject);
  }

  /** Ends every login Hydra remembers for the subject (and starts back-channel logout for them). */
  async revokeLoginSessions(subject: string): Promise<void> {
    await this.call("revoke login sessions", undefined, (init) =>
      this.api.revokeOAuth2LoginSessionsRaw({ subject }, init),
    );
  }

  /** One call; its time limit (timeoutMs) covers reading the answer. */
  private call<T>(
    operation: string,
    schema: z.ZodType<T> | undefined,
    send: (init: RequestInit) => Promise<{ raw: Response }>,
  ): Promise<T> {
    return withDeadline(this.timeoutMs, async (signal) => {
      let response: Response;
      try {
        ({ raw: response } = await send({ signal, redirect: "manual" }));
      } catch (error) {
        throw await this.failure(operation, error);
      }
      if (!schema) {
        await response.body?.cancel().catch(() => {});
        return undefined as T;
      }
      let text: string;
      try {
        text = await boundedText(response);
      } catch (error) {
        throw this.unreadable(operation, response.status, error);
      }
      const parsed = schema.safeParse(safeJson(text));
      if (!parsed.success) {
        throw new HydraError("bad_response", `${operation}: the response does not match Hydra's API`, {
          operation,
          status: response.status,
          issues: parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join(".")}: ${issue.message}`),
        });
      }
      return parsed.data;
    });
  }

  /**
   * A body that could not be read whole: too large (bad_response), or cut
   * off, by the server or the time limit, while it came (unreachable).
   */
  private unreadable(operation: string, status: number, error: unknown): HydraError {
    if (error instanceof AnswerTooLarge) return answerTooLarge(operation, error, { status });
    return new HydraError("unreachable", `${operation}: ${this.options.url} did not answer`, {
      operation,
      url: this.options.url,
      reason: error instanceof Error ? error.message : String(error),
      ...(isTimeout(error) ? { timedOut: true } : {}),
    });
  }

  private async failure(operation: string, error: unknown): Promise<HydraError> {
    if (error instanceof FetchError) {
      const cause = error.cause as Error | undefined;
      return new HydraError("unreachable", `${operation}: ${this.options.url} did not answer`, {
        operation,
        url: this.options.url,
        reason: (cause?.cause as Error | undefined)?.message ?? cause?.message ?? error.message,
        ...(isTimeout(error) ? { timedOut: true } : {}),
      });
    }
    if (!(error instanceof ResponseError)) {
      return new HydraError("bad_response", `${operation}: the request could not be made`, {
        operation,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    const { status } = error.response;
    const json = safeJson(await boundedText(error.response).catch(() => ""));
    const body = errorBody.safeParse(json);
    const details = {
      operation,
      status,
      ...(body.success && body.data.error_description ? { message: body.data.error_description } : {}),
    };
    switch (status) {
      case 404:
        return new HydraError("not_found", `${operation}: not found`, details);
      case 409:
        return new HydraError("already_handled", `${operation}: already handled`, details);
      case 410: {
        // Portico names the client of the answered request beside redirect_to; Ory Hydra does not.
        const gone = goneClient.safeParse(json);
        return new HydraError(
          "already_handled",
          `${operation}: already handled`,
          details,
          gone.success ? gone.data.client : undefined,
        );
      }
      case 401:
      case 403:
        return new HydraError("unauthorized", `${operation}: refused (${status})`, details);
      case 503:
        // The server says it cannot serve at the moment (its database is down): try again later.
        return new HydraError("unreachable", `${operation}: temporarily unavailable`, details);
      default:
        return new HydraError("bad_response", `${operation}: unexpected status ${status}`, details);
    }
  }
}
