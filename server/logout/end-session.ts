import type { Context } from "hono";
import type { Client } from "@/server/clients/model.ts";
import { hydra2EndSession } from "@/server/hydra2/flow/logout.ts";
import { preferredLocales } from "@/server/oauth2/authorize/checks/hints.ts";
import { AuthorizationParameters } from "@/server/oauth2/authorize/parameters.ts";
import { errorAnswer, redirect } from "@/server/oauth2/authorize/respond.ts";
import { InvalidRequest, OAuthError } from "@/server/oauth2/errors.ts";
import type { Services } from "@/server/services.ts";
import type { IdTokenHint } from "@/server/tokens/id-tokens.ts";
import type { LogoutRequest } from "./store.ts";

const MAX_STATE = 1024;

/** What the checks of the end-session endpoint learn, in their order. */
export interface EndSessionContext {
  params: AuthorizationParameters;
  services: Services;
  hint?: IdTokenHint;
  client?: Client;
  postLogoutRedirectUri?: string;
  /** The well-formed tags of `ui_locales`, preferred first (a preference: never an error). */
  uiLocales: string[];
}

type EndSessionCheck = (context: EndSessionContext) => void | Promise<void>;

/**
 * The checks of RP-Initiated Logout 1.0 §2–3, in order. Every failure is an
 * error page: nothing here is verified enough to redirect to, and a bad
 * request must end nobody's session.
 */
const END_SESSION_CHECKS: ReadonlyArray<readonly [name: string, check: EndSessionCheck]> = [
  [
    "parameters",
    ({ params }) => {
      const [repeated] = params.repeated;
      if (repeated !== undefined) throw new InvalidRequest(`${repeated} was sent more than once`);
      const state = params.get("state");
      if (state !== undefined && state.length > MAX_STATE) throw new InvalidRequest("state is too long");
    },
  ],
  [
    "id_token_hint",
    async (context) => {
      const value = context.params.get("id_token_hint");
      if (value === undefined) return;
      const hint = await context.services.idTokens.readHint(value);
      if (!hint) throw new InvalidRequest("id_token_hint is not an ID token this issuer signed");
      context.hint = hint;
    },
  ],
  [
    "client_id",
    async (context) => {
      const { params, services, hint } = context;
      const id = params.get("client_id");
      if (id !== undefined) {
        const client = id.length <= 255 ? await services.clients.get(id) : null;
        if (!client) throw new InvalidRequest("The client is unknown");
        if (hint && !hint.audience.includes(client.id)) {
          throw new InvalidRequest("id_token_hint was not issued to this client");
        }
        context.client = client;
        return;
      }
      // §2: without client_id, the hint's audience names the client (when it names one).
      if (hint?.audience.length === 1)
        context.client = (await services.clients.get(hint.audience[0] as string)) ?? undefined;
    },
  ],
  [
    "post_logout_redirect_uri",
    (context) => {
      const value = context.params.get("post_logout_redirect_uri");
      if (value === undefined) return;
      if (!context.client) {
        throw new InvalidRequest(
          "post_logout_redirect_uri needs client_id or id_token_hint to name the client",
        );
      }
      // §3.1: exactly one of the client's registered URIs, compared as whole strings.
      if (!context.client.postLogoutRedirectUris.includes(value)) {
        throw new InvalidRequest("post_logout_redirect_uri is not one the client registered");
      }
      context.postLogoutRedirectUri = value;
    },
  ],
];

/** Runs every check of the end-session endpoint; throws the first failure (an OAuthError). */
export async function checkEndSession(
  params: AuthorizationParameters,
  services: Services,
): Promise<EndSessionContext> {
  const context: EndSessionContext = {
    params,
    services,
    uiLocales: preferredLocales(params.get("ui_locales")),
  };
  for (const [, check] of END_SESSION_CHECKS) await check(context);
  return context;
}

/**
 * GET and POST /oauth2/sessions/logout (RP-Initiated Logout 1.0; discovery's
 * end_session_endpoint). A checked request is stored and the browser goes to
 * the login & consent app (LOGOUT_URL?logout=<id>), which ends the person's
 * session — asking first unless the hint names the signed-in person — and
 * accepts it. The browser then comes back here with `logout=<id>` and is
 * sent, once, to the registered post-logout URI with `state`. In Hydra 2.x
 * mode (URLS_LOGIN) the same checks and store answer with Hydra's names
 * instead (logout_challenge, logout_verifier).
 */
export async function endSession(c: Context, services: Services): Promise<Response> {
  const { config } = services;
  try {
    const params = await AuthorizationParameters.fromRequest(c.req.raw);
    if (config.hydra2Flow) return await hydra2EndSession(c, params, services, config.hydra2Flow);
    const returning = params.get("logout");
    if (returning !== undefined && params.pairs.length === 1) return await afterLogout(returning, services);
    const context = await checkEndSession(params, services);
    const request = await services.logoutRequests.create({
      subject: context.hint?.subject ?? null,
      sid: context.hint?.sid ?? null,
      clientId: context.client?.id ?? null,
      postLogoutRedirectUri: context.postLogoutRedirectUri ?? null,
      state: context.postLogoutRedirectUri ? (params.get("state") ?? null) : null,
      uiLocales: context.uiLocales,
    });
    const location = new URL(config.logoutUrl);
    location.searchParams.set("logout", request.id);
    return redirect(location.toString());
  } catch (caught) {
    if (caught instanceof OAuthError)
      return errorAnswer(caught, config.errorUrl, "The sign-out request could not be completed");
    throw caught;
  }
}

/**
 * The request's post-logout URI while its client still registers it, else null. A sign-out
 * request waits at the app for up to CHALLENGE_TOKEN_LIFESPAN; meanwhile, through any process
 * of any instance, the client may give the URI up or be deleted: the browser goes only where the
 * client says now, as a code goes only to a redirect URI the client still registers.
 */
export async function registeredPostLogoutUri(
  request: Pick<LogoutRequest, "clientId" | "postLogoutRedirectUri">,
  services: Pick<Services, "clients">,
): Promise<string | null> {
  const uri = request.postLogoutRedirectUri;
  if (uri === null || request.clientId === null) return null;
  const client = await services.clients.get(request.clientId);
  return client?.postLogoutRedirectUris.includes(uri) ? uri : null;
}

/** The browser's return after the app accepted: once, to the verified post-logout URI with state. */
async function afterLogout(id: string, services: Services): Promise<Response> {
  const request = await services.logoutRequests.get(id);
  if (!request?.postLogoutRedirectUri) throw new InvalidRequest("The sign-out request is unknown");
  if (!(await services.logoutRequests.consume(id))) {
    throw new InvalidRequest("The sign-out request was not confirmed, or was used already");
  }
  const uri = await registeredPostLogoutUri(request, services);
  if (uri === null) throw new InvalidRequest("The client no longer registers this post-logout URI");
  const target = new URL(uri);
  if (request.state !== null) target.searchParams.append("state", request.state);
  return redirect(target.toString());
}
