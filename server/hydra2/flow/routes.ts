import type { Context, Hono } from "hono";
import { decodeJwt } from "jose";
import { z } from "zod";
import { tokenExtraClaims } from "@/server/consent/schemas.ts";
import type { ConsentRequest } from "@/server/consent/store.ts";
import { storableDepth } from "@/server/http/body.ts";
import { toV2Wire } from "@/server/hydra2/clients/model.ts";
import { readAdminJson } from "@/server/hydra2/http/body.ts";
import { AdminError } from "@/server/hydra2/http/errors.ts";
import { requestedAudience } from "@/server/oauth2/authorize/checks/audience.ts";
import type { Services } from "@/server/services.ts";
import { MAX_REMEMBER_FOR_SECONDS } from "./login-sessions.ts";
import { consentSkipped } from "./public.ts";
import { goneUrl, requestUrl, returnUrl, type Step } from "./steps.ts";

/**
 * `remember_for`: seconds, a safe non-negative integer (anything else is a
 * 400 before anything is written), cut to the longest a browser keeps a
 * cookie (see MAX_REMEMBER_FOR_SECONDS).
 */
const rememberFor = z
  .int("remember_for must be a non-negative integer of seconds")
  .min(0, "remember_for must be a non-negative integer of seconds")
  .transform((seconds) => Math.min(seconds, MAX_REMEMBER_FOR_SECONDS))
  .nullish();

/** RFC 6749 §4.1.2.1: `error` and `error_description` are %x20-21 / %x23-5B / %x5D-7E. */
const RFC6749_TEXT = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
const errorText = (field: string, max: number) =>
  z
    .string()
    .max(max, `${field} must be at most ${max} characters`)
    .regex(RFC6749_TEXT, `${field} may hold only printable ASCII characters other than " and \\`);

/**
 * acceptOAuth2LoginRequest. `context` (any JSON) is handed to the consent
 * step, as in Hydra. `extend_session_lifespan` on a skipped login renews the
 * remembered login for `remember_for`. Fields Portico has no use for
 * (force_subject_identifier …) are dropped.
 */
const acceptLogin = z.object({
  subject: z.string().min(1, "subject is required").max(255),
  context: z
    .unknown()
    .refine(...storableDepth("context"))
    .optional(),
  remember: z.boolean().nullish(),
  remember_for: rememberFor,
  extend_session_lifespan: z.boolean().nullish(),
  acr: z.string().max(255).nullish(),
  amr: z.array(z.string().max(64)).max(16).nullish(),
});

/** acceptOAuth2ConsentRequest. */
const acceptConsent = z.object({
  grant_scope: z.array(z.string().max(255)).max(100).nullish(),
  grant_access_token_audience: z.array(z.string().max(1024)).max(20).nullish(),
  remember: z.boolean().nullish(),
  remember_for: rememberFor,
  session: z
    .object({ access_token: tokenExtraClaims.nullish(), id_token: tokenExtraClaims.nullish() })
    .nullish(),
});

/**
 * rejectOAuth2Request. `error`, `error_description` and `error_hint` reach
 * the client (the hint appended to the description, as Hydra does), so they
 * are held to the characters of an OAuth 2.0 error response; `error_debug`
 * and `status_code` are checked and go nowhere.
 */
const rejectRequest = z.object({
  error: errorText("error", 64).min(1, "error must not be empty").nullish(),
  error_description: errorText("error_description", 1024).nullish(),
  error_hint: errorText("error_hint", 1024).nullish(),
  error_debug: z
    .string()
    .max(1024)
    .regex(/^[^\p{Cc}]*$/u, "error_debug must not hold control characters")
    .nullish(),
  status_code: z.int().min(400).max(599).nullish(),
});

/** The rejection as the client will see it: the app's code (access_denied when none) and description. */
function rejectionOf(body: z.output<typeof rejectRequest>): { error: string; description: string | null } {
  const description = [body.error_description, body.error_hint].filter((text) => text).join(" ");
  return { error: body.error || "access_denied", description: description || null };
}

/** The operations of the 2.x login and consent steps (Hydra's OAuth2Api), over the engine's requests. */
export function flowRoutes(api: Hono, services: Services) {
  const { consentRequests, clients, config, hydra2Sessions } = services;
  const authorizationEndpoint = `${config.issuer}/oauth2/auth`;

  /**
   * The request a challenge names, in the step asked about. Unknown (or the
   * 2.x flow off): 404. Expired: 404, as Hydra forgets it. In a later step or
   * answered: `handled`, which GET answers 410 with where the browser goes,
   * and accept/reject 409.
   */
  const load = async (c: Context, step: Step) => {
    const challenge = c.req.query(`${step}_challenge`);
    if (!challenge) throw AdminError.invalidRequest(`${step}_challenge is required`);
    const stored = config.hydra2Flow ? await consentRequests.get(challenge) : null;
    if (!stored) throw AdminError.notFound(`The ${step} request does not exist`);
    if (stored.expiresAt.getTime() <= Date.now())
      throw AdminError.notFound(`The ${step} request has expired`);
    if (step === "consent" && !stored.loginVerifiedAt)
      throw AdminError.notFound("The consent request does not exist");
    const decided = stored.status !== "pending" || stored.usedAt !== null;
    const handled = step === "login" ? decided || stored.loginAcceptedAt !== null : decided;
    return { stored, handled };
  };

  const redirectTo = (stored: ConsentRequest, step: Step) => ({
    redirect_to: returnUrl(authorizationEndpoint, consentRequests, stored, step),
  });

  /**
   * GET of an answered request: 410 with where the browser goes (see goneUrl), and (an addition to Hydra's
   * `oAuth2RedirectTo`) the client it was for, as the 200 gives it, so that the login & consent app
   * can offer a person who comes back to the step (Back, a reload) the way to that app.
   */
  const gone = async (c: Context, stored: ConsentRequest, step: Step) => {
    const client = await clients.get(stored.clientId);
    return c.json(
      {
        redirect_to: goneUrl(authorizationEndpoint, consentRequests, stored, step),
        ...(client ? { client: toV2Wire(client) } : {}),
      },
      410,
    );
  };

  /** The request's own parameter, as the client sent it (the checks refused repeats). */
  const parameter = (stored: ConsentRequest, name: string) =>
    stored.parameters.find(([key, value]) => key === name && value !== "")?.[1];

  const oidcContext = (stored: ConsentRequest) => {
    const display = parameter(stored, "display");
    const hint = parameter(stored, "id_token_hint");
    return {
      acr_values: stored.oidc.acrValues,
      ui_locales: stored.oidc.uiLocales,
      ...(display ? { display } : {}),
      ...(stored.oidc.loginHint ? { login_hint: stored.oidc.loginHint } : {}),
      // Every claim of the hint, as Hydra gives them; /oauth2/auth verified its signature and issuer.
      ...(stored.oidc.idTokenHint && hint ? { id_token_hint_claims: decodeJwt(hint) } : {}),
    };
  };

  const common = async (stored: ConsentRequest) => {
    const client = await clients.get(stored.clientId);
    if (!client) throw AdminError.notFound("The client of this request no longer exists");
    return {
      challenge: stored.id,
      client: toV2Wire(client),
      request_url: requestUrl(authorizationEndpoint, stored),
      requested_scope: stored.requestedScopes,
      requested_access_token_audience: requestedAudience(parameter(stored, "audience")),
      oidc_context: oidcContext(stored),
      // The remembered login that covers the request, or the one its login starts (as in Hydra,
      // known from the login step on): the ID token's `sid`, the key of back-channel logout.
      session_id: stored.loginSessionId ?? hydra2Sessions.sessionIdFor(stored.id),
    };
  };

  /**
   * The request as the remembered login that covered it stands now: one that has ended since (the
   * person signed out everywhere, through any process of any instance) covers it no longer, and the
   * app is asked to sign the person in.
   */
  const coveredNow = async (stored: ConsentRequest): Promise<ConsentRequest> => {
    const covering = stored.loginSessionId;
    if (covering === null || stored.loginAcceptedAt !== null) return stored;
    if (!(await hydra2Sessions.ended(covering))) return stored;
    await consentRequests.forgetLoginSession(stored.id, covering);
    return { ...stored, loginSessionId: null, subject: null };
  };

  // getOAuth2LoginRequest
  api.get("/admin/oauth2/auth/requests/login", async (c) => {
    const loaded = await load(c, "login");
    if (loaded.handled) return gone(c, loaded.stored, "login");
    const stored = await coveredNow(loaded.stored);
    // A remembered login covers the request: the app is told to skip its screen, for that subject.
    const skip = stored.loginSessionId !== null;
    return c.json({ ...(await common(stored)), skip, subject: skip ? (stored.subject ?? "") : "" });
  });

  // acceptOAuth2LoginRequest
  api.put("/admin/oauth2/auth/requests/login/accept", async (c) => {
    const { stored, handled } = await load(c, "login");
    const body = await readAdminJson(c, acceptLogin);
    if (handled) throw AdminError.conflict("The login request was already handled");
    const covering = stored.loginSessionId
      ? await hydra2Sessions.rememberedLogin(stored.loginSessionId)
      : null;
    // Shown with skip, but that remembered login has ended since: accepting it would sign the browser
    // in on a login the person ended. Read again, the request asks for a sign-in. (One that ran out
    // has not ended: the acceptance goes on as a new sign-in's.)
    if (stored.loginSessionId && covering?.state === "ended") {
      await consentRequests.forgetLoginSession(stored.id, stored.loginSessionId);
      throw AdminError.invalidRequest(
        "The remembered login of this request (skip) has ended: the person must sign in again",
      );
    }
    const remembered = covering?.state === "live" ? covering.login : null;
    if (stored.loginSessionId && stored.subject !== body.subject) {
      throw AdminError.invalidRequest(
        "The subject differs from the one of the remembered login (skip is true)",
      );
    }
    // A skipped login rests on the remembered sign-in: its auth_time, not now. The `amr` and `acr`
    // this acceptance sends are the request's, as in Hydra (an app that stepped the person up says
    // so); without them, the remembered sign-in's stand.
    const signIn = remembered
      ? {
          authTime: remembered.signIn.authTime,
          amr: body.amr ?? remembered.signIn.amr,
          ...(body.acr || remembered.signIn.acr ? { acr: body.acr || remembered.signIn.acr } : {}),
        }
      : {
          authTime: new Date(Math.floor(Date.now() / 1000) * 1000),
          amr: body.amr ?? [],
          ...(body.acr ? { acr: body.acr } : {}),
        };
    // A new login is remembered when the app asks (`remember`). A skipped one is remembered already,
    // as in Hydra (which takes `remember` as true then); with extend_session_lifespan its remembered
    // login lives `remember_for` from the browser's return on, the cookie re-set to match.
    const rememberFor = stored.loginSessionId
      ? body.extend_session_lifespan
        ? (body.remember_for ?? 0)
        : undefined
      : body.remember
        ? (body.remember_for ?? 0)
        : undefined;
    // The app's context goes to its consent step (`{}` without one), a skipped login's too.
    const context = body.context ?? {};
    if (!(await consentRequests.acceptLogin(stored.id, body.subject, signIn, rememberFor, context)))
      throw AdminError.conflict("The login request was already handled");
    return c.json(redirectTo(stored, "login"));
  });

  // rejectOAuth2LoginRequest
  api.put("/admin/oauth2/auth/requests/login/reject", async (c) => {
    const { stored, handled } = await load(c, "login");
    const body = await readAdminJson(c, rejectRequest);
    if (handled) throw AdminError.conflict("The login request was already handled");
    const { error, description } = rejectionOf(body);
    if (!(await consentRequests.reject(stored.id, description, error)))
      throw AdminError.conflict("The login request was already handled");
    return c.json(redirectTo(stored, "login"));
  });

  // getOAuth2ConsentRequest
  api.get("/admin/oauth2/auth/requests/consent", async (c) => {
    const { stored, handled } = await load(c, "consent");
    if (handled) return gone(c, stored, "consent");
    return c.json({
      ...(await common(stored)),
      subject: stored.subject ?? "",
      skip: await consentSkipped(stored, services),
      login_challenge: stored.id,
      // The id revokeOAuth2ConsentSessions takes as consent_request_id (this server's challenge).
      consent_request_id: stored.id,
      login_session_id: stored.loginSessionId ?? hydra2Sessions.sessionIdFor(stored.id),
      amr: stored.signIn?.amr ?? [],
      ...(stored.signIn?.acr ? { acr: stored.signIn.acr } : {}),
      context: stored.loginContext,
    });
  });

  // acceptOAuth2ConsentRequest
  api.put("/admin/oauth2/auth/requests/consent/accept", async (c) => {
    const { stored, handled } = await load(c, "consent");
    const body = await readAdminJson(c, acceptConsent);
    if (handled) throw AdminError.conflict("The consent request was already handled");
    const grantScopes = body.grant_scope ?? [];
    const extra = grantScopes.filter((scope) => !stored.requestedScopes.includes(scope));
    if (extra.length > 0)
      throw AdminError.invalidRequest(`grant_scope holds scopes that were not requested: ${extra.join(" ")}`);
    // Only audiences the client registered may be granted (it asked for some of them, or the app adds more).
    const grantAudience = [...new Set(body.grant_access_token_audience ?? [])];
    const client = await clients.get(stored.clientId);
    const refused = grantAudience.filter((value) => !client?.audience.includes(value));
    if (refused.length > 0)
      throw AdminError.invalidRequest(
        `grant_access_token_audience holds audiences the client may not use: ${refused.join(" ")}`,
      );
    // The remembered consent is written with the decision, in one transaction: both or neither.
    const remember =
      body.remember && stored.subject
        ? [
            hydra2Sessions.remembering(
              stored.subject,
              stored.clientId,
              grantScopes,
              body.remember_for ?? 0,
              stored.id,
            ),
          ]
        : [];
    const accepted = await consentRequests.accept(
      stored.id,
      {
        grantAudience,
        subject: stored.subject ?? "",
        grantScopes,
        accessTokenExtra: body.session?.access_token ?? {},
        idTokenExtra: body.session?.id_token ?? {},
        // The login session is the sign-in's `sid` (ID token, back-channel logout), as in Hydra.
        ...(stored.signIn
          ? { signIn: { ...stored.signIn, ...(stored.loginSessionId ? { sid: stored.loginSessionId } : {}) } }
          : {}),
      },
      remember,
    );
    if (!accepted) throw AdminError.conflict("The consent request was already handled");
    return c.json(redirectTo(stored, "consent"));
  });

  // rejectOAuth2ConsentRequest
  api.put("/admin/oauth2/auth/requests/consent/reject", async (c) => {
    const { stored, handled } = await load(c, "consent");
    const body = await readAdminJson(c, rejectRequest);
    if (handled) throw AdminError.conflict("The consent request was already handled");
    const { error, description } = rejectionOf(body);
    if (!(await consentRequests.reject(stored.id, description, error)))
      throw AdminError.conflict("The consent request was already handled");
    return c.json(redirectTo(stored, "consent"));
  });
}
