import { z } from "zod";
import { clientName } from "./schemas.ts";

/**
 * The Hydra 2.x admin API's answers this app reads (Hydra's OpenAPI
 * document names them), parsed from the raw JSON before use: Ory's SDK only
 * maps fields and checks nothing. Fields the app does not read pass through.
 */

const list = z
  .array(z.string())
  .max(100)
  .nullish()
  .transform((values) => values ?? []);

const text = z
  .string()
  .nullish()
  .transform((value) => value ?? "");

/** An http(s) link or nothing: a client's links end up in href and src attributes. */
const webUrl = z
  .string()
  .nullish()
  .transform((value) => {
    if (!value || !URL.canParse(value)) return "";
    return /^https?:$/.test(new URL(value).protocol) ? value : "";
  });

/** `oAuth2Client`: what the pages show of the app asking. */
export const v2Client = z
  .object({
    client_id: z.string().min(1),
    client_name: clientName,
    client_uri: webUrl,
    logo_uri: webUrl,
    policy_uri: webUrl,
    tos_uri: webUrl,
  })
  .transform((client) => ({
    id: client.client_id,
    client_name: client.client_name,
    client_uri: client.client_uri,
    logo_uri: client.logo_uri,
    policy_uri: client.policy_uri,
    tos_uri: client.tos_uri,
    skip_consent: false,
  }));

const oidcContext = z
  .object({ login_hint: z.string().max(512).nullish(), ui_locales: list, acr_values: list })
  .nullish()
  .transform((context) => ({
    loginHint: context?.login_hint ?? undefined,
    uiLocales: context?.ui_locales ?? [],
    acrValues: context?.acr_values ?? [],
  }));

/** `oAuth2LoginRequest`. With `skip`, `subject` is the person Hydra remembers. */
export const loginRequest = z.object({
  challenge: z.string().min(1),
  skip: z.boolean(),
  subject: z.string(),
  client: v2Client,
  requested_scope: list,
  requested_access_token_audience: list,
  oidc_context: oidcContext,
  session_id: z.string().nullish(),
});
export type LoginRequest = z.output<typeof loginRequest>;

/** `oAuth2ConsentRequest`. `subject` is the person the login step accepted. */
export const consentRequest = z.object({
  challenge: z.string().min(1),
  skip: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  subject: z.string().min(1),
  client: v2Client,
  requested_scope: list,
  requested_access_token_audience: list,
  amr: list,
  acr: z.string().nullish(),
  oidc_context: oidcContext,
});
export type ConsentRequest = z.output<typeof consentRequest>;

/** `oAuth2LogoutRequest`. `client` is there when a relying party started the sign-out. */
export const logoutRequest = z.object({
  challenge: z.string().min(1),
  subject: text,
  sid: text,
  rp_initiated: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  client: v2Client.nullish().transform((client) => client ?? undefined),
});
export type LogoutRequest = z.output<typeof logoutRequest>;

/** `oAuth2RedirectTo`: where the browser goes once a step is answered. */
export const redirectTo = z.object({ redirect_to: z.url() });

/**
 * Portico's addition to the 410 (`oAuth2RedirectTo`) of getOAuth2LoginRequest and
 * getOAuth2ConsentRequest for an answered request: the client it was for. Ory Hydra sends none.
 */
export const goneClient = z.object({ client: v2Client });

/** Hydra's error body (`errorOAuth2`), read only to log what went wrong. */
export const errorBody = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
});

/** One of `listOAuth2ConsentSessions`: a client the subject let in, with the scopes granted and when. */
export const consentSession = z
  .object({
    consent_request: z.object({ client: v2Client.nullish() }).nullish(),
    grant_scope: list,
    handled_at: z.iso.datetime({ offset: true }).nullish(),
  })
  .transform((session, ctx) => {
    const clientId = session.consent_request?.client?.id;
    if (!clientId) {
      ctx.addIssue({ code: "custom", message: "a consent session without its client" });
      return z.NEVER;
    }
    return {
      clientId,
      scopes: session.grant_scope,
      grantedAt: new Date(session.handled_at ?? 0),
    };
  });
