import { z } from "zod";

/**
 * The wire models this app reads from the Hydra API, named after the
 * swagger definitions. Every response is parsed with these before use;
 * fields the app does not read are let through untouched.
 */

const stringList = z
  .array(z.string())
  .max(50)
  .nullish()
  .transform((values) => values ?? []);

/**
 * A client's name as the pages show it, without control characters and the
 * bidirectional controls (RLO, LRI, …): those make the name, and the text
 * around it, read in another order than it is written ("\u202Egnp.exe" shows
 * as "exe.png"); a tab or a line break reads as a space. Portico refuses
 * such names when a client is registered; Ory Hydra, another server of the
 * API, or a client registered before that rule may still hold one.
 */
export const clientName = z
  .string()
  .nullish()
  .transform((value) =>
    (value ?? "").replace(/[\t\n\v\f\r]+/g, " ").replace(/[\p{Bidi_Control}\p{Cc}]/gu, ""),
  );

/** An http(s) link or nothing: a client's links end up in href and src attributes. */
const optionalWebUrl = z
  .string()
  .nullish()
  .transform((value) => {
    if (!value || !URL.canParse(value)) return "";
    return /^https?:$/.test(new URL(value).protocol) ? value : "";
  });

/** `oAuth2Client`: the fields the consent screen shows. */
export const oAuth2Client = z.object({
  id: z.string().min(1),
  client_name: clientName,
  client_uri: optionalWebUrl,
  logo_uri: optionalWebUrl,
  policy_uri: optionalWebUrl,
  tos_uri: optionalWebUrl,
  /** A trusted first-party client: its requests are answered without the consent screen. */
  skip_consent: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  /**
   * What another server's `GET /clients/{id}` says (Portico's consent request sends neither, and
   * `interactionRequired` instead): whether a remembered decision may answer for this client.
   */
  public: z.boolean().nullish(),
  redirect_uris: z.array(z.string()).max(100).nullish(),
});
export type OAuth2Client = z.output<typeof oAuth2Client>;

/**
 * The most scopes a consent request may ask for, as on the Hydra 2.x face
 * (admin-schemas.ts): each is a row of the consent screen, so an answer
 * naming thousands would make a page of tens of megabytes.
 */
const MAX_REQUESTED_SCOPES = 100;

/**
 * The most apps a person's list may name (Hydra 2.x's is asked for this many
 * at most): the account page looks each one up, so a longer list from a
 * broken or hostile server would be that many calls for one page view.
 */
export const MAX_SUBJECT_GRANTS = 500;

/** `oAuth2consentRequest`. */
export const oAuth2ConsentRequest = z.object({
  id: z.string().min(1),
  audience: z.string().min(1),
  requestedScopes: z
    .array(z.string())
    .max(MAX_REQUESTED_SCOPES)
    .nullish()
    .transform((scopes) => scopes ?? []),
  redirectUrl: z.url(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  // OpenID Connect additions (absent from a 2017 server, and from requests that did not send them).
  prompt: stringList,
  maxAge: z
    .number()
    .int()
    .nonnegative()
    .nullish()
    .transform((value) => value ?? undefined),
  loginHint: z
    .string()
    .max(512)
    .nullish()
    .transform((value) => value ?? undefined),
  idTokenHintSubject: z
    .string()
    .min(1)
    .nullish()
    .transform((value) => value ?? undefined),
  uiLocales: stringList,
  acrValues: stringList,
  requestedAt: z.iso
    .datetime({ offset: true })
    .nullish()
    .transform((value) => (value ? new Date(value) : undefined)),
  /** The client as its consent screen shows it (Portico; other servers: GET /clients/{id}). */
  client: oAuth2Client.optional(),
  /**
   * Portico: the person must be asked even over a remembered decision — the
   * client is public and its redirect URI is neither https nor http on a
   * loopback host, so any app could claim it (RFC 6749 §10.2, RFC 8252 §8.6).
   */
  interactionRequired: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
});
export type OAuth2ConsentRequest = z.output<typeof oAuth2ConsentRequest>;

/** One entry of `GET /oauth2/auth/sessions/consent/{subject}`: a client the person let in. */
export const subjectGrant = z
  .object({
    client_id: z.string().min(1),
    scope: z.string(),
    granted_at: z.iso.datetime({ offset: true }),
  })
  .transform((grant) => ({
    clientId: grant.client_id,
    scopes: grant.scope.split(" ").filter(Boolean),
    grantedAt: new Date(grant.granted_at),
  }));
export type SubjectGrant = z.output<typeof subjectGrant>;

/** RFC 6749 §5.1 token response (client_credentials). */
export const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().int().positive().optional(),
});

/** Body of `PATCH /oauth2/consent/requests/{id}/accept` (`consentRequestAcceptance`). */
export interface ConsentRequestAcceptance {
  subject: string;
  grantScopes: string[];
  accessTokenExtra: Record<string, unknown>;
  idTokenExtra: Record<string, unknown>;
  /** Additions: the sign-in this decision rests on (RFC 3339 time, RFC 8176 methods, the session id). */
  authTime?: string;
  amr?: string[];
  acr?: string;
  sid?: string;
}

/** Body of `PATCH /oauth2/consent/requests/{id}/reject`; `error` is an addition (login_required …). */
export interface ConsentRequestRejection {
  reason: string;
  error?:
    | "access_denied"
    | "login_required"
    | "consent_required"
    | "interaction_required"
    | "account_selection_required";
}

/** The admin API's error envelope, read only to log what went wrong. */
export const apiErrorEnvelope = z.object({
  error: z.object({
    code: z.number().optional(),
    status: z.string().optional(),
    message: z.string().optional(),
  }),
});

/**
 * Portico's addition to the 409 of `GET /oauth2/consent/requests/{id}?include=client`: the client
 * the answered request was for, beside the error.
 */
export const answeredClient = z.object({ client: oAuth2Client });

/** RFC 6749 §5.2 error body from the token endpoint. */
export const oauthError = z.object({ error: z.string(), error_description: z.string().optional() });

/** A sign-out a relying party started (an addition to the 2017 API); `subject` is the verified hint's. */
export const logoutRequest = z.object({
  id: z.string().min(1),
  subject: z.string().min(1).optional(),
  sid: z.string().min(1).optional(),
  audience: z.string().min(1).optional(),
  uiLocales: z.array(z.string()).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type LogoutRequest = z.output<typeof logoutRequest>;

/**
 * `GET /oauth2/consent/requests/{id}/decision` (an addition): how a request
 * the browser has not used yet was answered, and where that sends the browser.
 */
export const consentDecision = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("accepted"),
    subject: z.string(),
    grantScopes: z.array(z.string()),
    redirectUrl: z.url(),
  }),
  z.object({ status: z.literal("rejected"), error: z.string(), redirectUrl: z.url() }),
]);
export type ConsentDecision = z.output<typeof consentDecision>;

/** The answer to accepting a logout request: where the browser goes next, if anywhere but here. */
export const logoutAcceptance = z.object({ redirectTo: z.url().optional() });
export type LogoutAcceptance = z.output<typeof logoutAcceptance>;
