import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import { checkEndSession, registeredPostLogoutUri } from "@/server/logout/end-session.ts";
import type { LogoutRequest } from "@/server/logout/store.ts";
import { MAX_COOKIE_AGE_SECONDS } from "@/server/oauth2/authorize/binding.ts";
import type { AuthorizationParameters } from "@/server/oauth2/authorize/parameters.ts";
import { redirect } from "@/server/oauth2/authorize/respond.ts";
import { AccessDenied, InvalidRequest } from "@/server/oauth2/errors.ts";
import type { Services } from "@/server/services.ts";
import { randomToken } from "@/server/tokens/secrets.ts";
import { clearedLoginSessionCookie, readLoginSessionCookie } from "./login-sessions.ts";

/** Where the 2.x logout flow sends the browser (config.hydra2Flow). */
interface LogoutUrls {
  logout: string;
  postLogoutRedirect: string;
}

const BINDING_PATH = "/oauth2/sessions/logout";
const bindingName = (id: string) => `portico_logout_${id}`;

/** A logout verifier is `<id>.<secret>`: it names its request, and only the accept answer's holder has it. */
export function logoutVerifier(services: Services, id: string): string {
  return `${id}.${services.logoutRequests.verifierSecret(id)}`;
}

function parseVerifier(verifier: string): { id: string; secret: string } | undefined {
  const match = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/.exec(verifier);
  return match ? { id: match[1] as string, secret: match[2] as string } : undefined;
}

/** Where the browser ends up: the client's verified post-logout URI with `state`, else URLS_POST_LOGOUT_REDIRECT. */
function finalTarget(request: Pick<LogoutRequest, "postLogoutRedirectUri" | "state">, urls: LogoutUrls) {
  if (!request.postLogoutRedirectUri) return urls.postLogoutRedirect;
  const target = new URL(request.postLogoutRedirectUri);
  if (request.state !== null) target.searchParams.append("state", request.state);
  return target.toString();
}

/**
 * GET and POST /oauth2/sessions/logout in Hydra 2.x mode, over the same
 * checks and store as the 2017 face. A new request: when nobody is signed in
 * (no id_token_hint and no remembered login in this browser) the browser
 * goes straight on; otherwise the request is stored, bound to this browser by
 * a cookie, and the browser goes to URLS_LOGOUT?logout_challenge=…. Back with
 * the logout_verifier the app was handed, the login session ends, back-channel
 * logout starts, and the browser goes to the post-logout URI.
 */
export async function hydra2EndSession(
  c: Context,
  params: AuthorizationParameters,
  services: Services,
  urls: LogoutUrls,
): Promise<Response> {
  const { logoutRequests, hydra2Sessions, config } = services;
  const secure = config.issuer.startsWith("https:");
  if (params.get("logout_verifier") !== undefined) return completeLogout(c, params, services, urls);

  const context = await checkEndSession(params, services);
  const { hint, client } = context;
  const session = await hydra2Sessions.findLogin(readLoginSessionCookie(c));
  const subject = hint?.subject ?? session?.subject ?? null;
  // The session to end: the hint's, else this browser's remembered login when it is the same person's.
  const sid = hint?.sid ?? (session && session.subject === subject ? session.id : null);
  const state = context.postLogoutRedirectUri ? (params.get("state") ?? null) : null;
  const target = { postLogoutRedirectUri: context.postLogoutRedirectUri ?? null, state };
  // Nobody to sign out: nothing to ask the app, as Hydra does.
  if (subject === null) return redirect(finalTarget(target, urls));

  const binding = randomToken();
  const request = await logoutRequests.create(
    {
      subject,
      sid,
      clientId: client?.id ?? null,
      ...target,
      uiLocales: context.uiLocales,
      requestUrl: `${config.issuer}/oauth2/sessions/logout?${new URLSearchParams(params.pairs)}`,
      rpInitiated: hint !== undefined || client !== undefined,
    },
    binding,
  );
  const location = new URL(urls.logout);
  location.searchParams.set("logout_challenge", request.id);
  return redirect(location.toString(), [
    generateCookie(bindingName(request.id), binding, {
      path: BINDING_PATH,
      httpOnly: true,
      sameSite: "Lax",
      secure,
      maxAge: Math.min(logoutRequests.lifespanSeconds, MAX_COOKIE_AGE_SECONDS),
    }),
  ]);
}

/**
 * The browser's return with the logout_verifier, in order: a well-formed
 * verifier of a known request, the browser that started it (its binding
 * cookie), the verifier's secret, unexpired, accepted and not used (used
 * now, once). Any failure ends nothing.
 */
async function completeLogout(
  c: Context,
  params: AuthorizationParameters,
  services: Services,
  urls: LogoutUrls,
): Promise<Response> {
  const { logoutRequests, hydra2Sessions, backchannel, config } = services;
  const secure = config.issuer.startsWith("https:");
  const verifier = params.single("logout_verifier");
  if (verifier === undefined || params.pairs.length !== 1)
    throw new InvalidRequest("logout_verifier comes alone, once");
  const parsed = parseVerifier(verifier);
  const request = parsed ? await logoutRequests.get(parsed.id) : null;
  if (!parsed || !request || request.bindingHash === null)
    throw new InvalidRequest("The logout verifier is invalid");
  if (!logoutRequests.matchesBinding(request, getCookie(c, bindingName(request.id))))
    throw new AccessDenied("The sign-out was not started in this browser");
  if (!logoutRequests.matchesVerifierSecret(request.id, parsed.secret))
    throw new InvalidRequest("The logout verifier is invalid");
  if (request.expiresAt.getTime() <= Date.now()) throw new AccessDenied("The sign-out request has expired");
  if (!(await logoutRequests.consume(request.id)))
    throw new AccessDenied("The sign-out was not accepted, or the verifier was used already");

  const cookies = [
    generateCookie(bindingName(request.id), "", {
      path: BINDING_PATH,
      httpOnly: true,
      sameSite: "Lax",
      secure,
      maxAge: 0,
    }),
  ];
  // The client may have given its post-logout URI up (or been deleted) since: then URLS_POST_LOGOUT_REDIRECT.
  const target = { ...request, postLogoutRedirectUri: await registeredPostLogoutUri(request, services) };
  const session = await hydra2Sessions.findLogin(readLoginSessionCookie(c));
  // Started by the person, not a client: if this browser's login changed meanwhile (another person signed
  // in, or the sign-out already happened), nobody else is signed out — as Hydra does.
  if (!request.rpInitiated && session?.subject !== request.subject) {
    return redirect(finalTarget(target, urls), cookies);
  }
  const sid = request.sid ?? (session && session.subject === request.subject ? session.id : null);
  if (sid !== null) {
    const ended = await hydra2Sessions.endLogin(sid);
    void backchannel.sessionsEnded({ sid, subject: ended?.subject ?? request.subject ?? undefined });
  }
  cookies.push(clearedLoginSessionCookie(secure));
  return redirect(finalTarget(target, urls), cookies);
}
