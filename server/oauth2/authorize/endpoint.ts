import type { Context } from "hono";
import { describeError } from "@/common/log.ts";
import { callerAddress } from "@/server/http/caller.ts";
import { continueHydra2Flow } from "@/server/hydra2/flow/public.ts";
import { InvalidRequest, OAuthError, ServerError, TooManyAttempts } from "@/server/oauth2/errors.ts";
import {
  defaultResponseMode,
  isResponseMode,
  isSafeResponseMode,
  parseResponseType,
  type ResponseMode,
} from "@/server/oauth2/response-types.ts";
import type { Services } from "@/server/services.ts";
import { clearedBindingCookie, evictedBindingCookies, isConsentId } from "./binding.ts";
import { AUTHORIZATION_CHECKS } from "./checks/index.ts";
import { acceptedConsent, startConsent } from "./consent.ts";
import { type AuthorizationContext, verifiedRequest } from "./context.ts";
import { issueAuthorizationResponse } from "./issue.ts";
import { AuthorizationParameters } from "./parameters.ts";
import { errorAnswer, errorPage, errorParameters, respondToClient } from "./respond.ts";

/** What one authorization request may carry: it is stored until the consent request expires. */
const MAX_PARAMETERS_BYTES = 4096;
const MAX_STATE_OR_NONCE = 512;

/**
 * Refuses oversized requests before anything is stored: every unauthenticated
 * request with a known client stores a consent request holding its parameters.
 */
function checkSize(params: AuthorizationParameters): void {
  let size = 0;
  for (const [name, value] of params.original())
    size += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  if (size > MAX_PARAMETERS_BYTES) {
    throw new InvalidRequest(`The authorization request's parameters exceed ${MAX_PARAMETERS_BYTES} bytes`);
  }
  for (const name of ["state", "nonce"]) {
    if ((params.get(name)?.length ?? 0) > MAX_STATE_OR_NONCE) {
      throw new InvalidRequest(`${name} may be at most ${MAX_STATE_OR_NONCE} characters`);
    }
  }
}

/** Where an error goes back: the checked response mode, else the best reading of the request. */
function errorResponseMode(context: AuthorizationContext): ResponseMode {
  if (context.responseMode) return context.responseMode;
  const type = parseResponseType(context.params.get("response_type") ?? "");
  const requested = context.params.get("response_mode");
  return isResponseMode(requested) && isSafeResponseMode(requested, type)
    ? requested
    : defaultResponseMode(type);
}

/**
 * AUTH_RATE_LIMIT: spends one token of the caller's address, or answers the
 * 429 page with Retry-After. Every browser-facing endpoint that stores what
 * an anonymous request carries (/oauth2/auth, the end-session endpoint)
 * spends from the same bucket.
 */
export function rateLimited(c: Context, services: Services, what: string): Response | undefined {
  const allowed = services.authRateLimiter?.take(callerAddress(c, services) ?? "");
  if (!allowed || allowed.ok) return undefined;
  const page = errorPage(
    new TooManyAttempts(
      allowed.retryAfterSeconds,
      `Too many ${what} requests from your address; try again in ${allowed.retryAfterSeconds} s`,
      "temporarily_unavailable",
    ),
  );
  return new Response(page.body, {
    status: 429,
    headers: { ...Object.fromEntries(page.headers), "retry-after": String(allowed.retryAfterSeconds) },
  });
}

/**
 * GET and POST /oauth2/auth (RFC 6749 §4; OpenID Connect Core §3). Every request
 * passes the checks; without `consent` it goes to the consent app, with
 * `consent` it comes back from it and is answered. Every answer is a 302
 * (or, before the client and redirect URI are verified, an error page);
 * `state` and `iss` (RFC 9207) travel with every redirect to the client.
 */
export async function authorize(c: Context, services: Services): Promise<Response> {
  const { config, log } = services;
  const limited = rateLimited(c, services, "authorization");
  if (limited) return limited;
  let params: AuthorizationParameters;
  try {
    params = await AuthorizationParameters.fromRequest(c.req.raw);
    checkSize(params);
  } catch (caught) {
    if (caught instanceof OAuthError) return errorAnswer(caught, config.errorUrl);
    throw caught;
  }
  const context: AuthorizationContext = {
    params,
    services,
    oidc: { prompt: [], uiLocales: [], acrValues: [] },
  };
  const consentId = params.get("consent");
  const cookies =
    consentId !== undefined && isConsentId(consentId)
      ? [clearedBindingCookie(consentId, config.issuer.startsWith("https:"))]
      : [];
  try {
    for (const [, check] of AUTHORIZATION_CHECKS) await check(context);
    const request = verifiedRequest(context);
    // Hydra 2.x mode: a login and a consent step, each answered through the admin API.
    if (config.hydra2Flow) return await continueHydra2Flow(c, request, params, services, config.hydra2Flow);
    if (consentId === undefined) {
      return await startConsent(
        request,
        services,
        evictedBindingCookies(c, config.issuer.startsWith("https:")),
      );
    }
    const verifier = params.get("consent_verifier");
    const consent = await acceptedConsent(c, request, consentId, verifier, services);
    const response = await issueAuthorizationResponse(request, consent, services);
    return respondToClient(
      request.redirectUri,
      request.responseMode,
      { ...response, state: request.state, iss: config.issuer },
      cookies,
    );
  } catch (caught) {
    let error: OAuthError;
    if (caught instanceof OAuthError) {
      error = caught;
    } else {
      log.error("authorization request failed", describeError(caught));
      error = new ServerError();
    }
    if (!context.client || !context.redirectUri) return errorAnswer(error, config.errorUrl);
    return respondToClient(
      context.redirectUri,
      errorResponseMode(context),
      { ...errorParameters(error), state: params.single("state"), iss: config.issuer },
      cookies,
    );
  }
}
