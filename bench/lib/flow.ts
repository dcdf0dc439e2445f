/**
 * The authorization-code flow as a browser and a consent app drive it, over
 * plain fetch with `redirect: "manual"` and a cookie jar — the flow of
 * ARCHITECTURE.md, "The authorization-code flow". Each step names the base URL of the
 * instance it goes to, so a test can alternate steps between two instances
 * behind one public ISSUER (as a load balancer would), and the benchmark can
 * run it against one.
 */
import { createHash, randomBytes } from "node:crypto";

/** A browser's cookies for one site. Cookies are per host, not per port (RFC 6265 §8.5). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Takes the Set-Cookie headers of a response. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = "", val = ""] = attribute.split("=").map((part) => part.trim());
        if (key.toLowerCase() === "max-age") return Number(val) <= 0;
        if (key.toLowerCase() === "expires") return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The Cookie header to send, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  get size(): number {
    return this.cookies.size;
  }
}

type FlowStep = "auth" | "consent-get" | "consent-accept" | "callback" | "token";

/** A step of the flow answered something other than the contract says. */
export class FlowError extends Error {
  constructor(
    readonly step: FlowStep,
    readonly status: number,
    readonly body: string,
    message: string,
  ) {
    super(`${step}: ${message} (HTTP ${status}) ${body.slice(0, 300)}`);
  }
}

export interface FlowClient {
  id: string;
  secret: string;
  redirectUri: string;
  scope: string;
}

/** Base URLs (scheme://host:port) of the instance each step goes to. */
interface FlowRoutes {
  auth: string;
  consent: string;
  callback: string;
  token: string;
}

interface FlowOptions {
  client: FlowClient;
  /** Bearer token with `hydra.consent` for the consent API. */
  consentToken: string;
  subject: string;
  /** The scopes to grant; default: every requested scope. */
  grantScopes?: string[];
  routes: FlowRoutes;
  jar?: CookieJar;
  accessTokenExtra?: Record<string, unknown>;
}

interface FlowResult {
  consentId: string;
  code: string;
  state: string;
  nonce: string;
  jar: CookieJar;
  tokens: {
    access_token: string;
    token_type: string;
    expires_in?: number;
    scope?: string;
    id_token?: string;
    refresh_token?: string;
  };
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
}

/** The same path and query on another instance's origin. */
function onInstance(url: string, base: string): string {
  const parsed = new URL(url);
  return `${base}${parsed.pathname}${parsed.search}`;
}

async function fail(step: FlowStep, response: Response, message: string): Promise<never> {
  throw new FlowError(step, response.status, await response.text().catch(() => ""), message);
}

/** Runs auth → consent (get, accept) → callback → token; throws FlowError at the first deviation. */
export async function authorizationCodeFlow(options: FlowOptions): Promise<FlowResult> {
  const { client, routes } = options;
  const jar = options.jar ?? new CookieJar();
  const state = randomBytes(12).toString("base64url");
  const nonce = randomBytes(12).toString("base64url");
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");

  // 1. The browser arrives at /oauth2/auth and is sent to the consent app with a binding cookie.
  const authQuery = new URLSearchParams({
    response_type: "code",
    client_id: client.id,
    redirect_uri: client.redirectUri,
    scope: client.scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  const cookie = jar.header();
  const auth = await fetch(`${routes.auth}/oauth2/auth?${authQuery}`, {
    redirect: "manual",
    headers: cookie ? { cookie } : {},
  });
  jar.store(auth);
  if (auth.status !== 302) await fail("auth", auth, "expected a 302 to the consent app");
  const consentLocation = auth.headers.get("location") ?? "";
  const consentId = new URL(consentLocation, routes.auth).searchParams.get("consent");
  if (!consentId) await fail("auth", auth, `no consent id in Location ${consentLocation}`);
  await auth.body?.cancel();

  // 2. The consent app reads the request (its redirectUrl carries the verifier) and accepts it.
  const consentHeaders = { authorization: `Bearer ${options.consentToken}` };
  const requestUrl = `${routes.consent}/oauth2/consent/requests/${encodeURIComponent(consentId as string)}`;
  const got = await fetch(requestUrl, { headers: consentHeaders });
  if (got.status !== 200) await fail("consent-get", got, "expected the consent request");
  const request = (await got.json()) as { redirectUrl?: string; requestedScopes?: string[] };
  if (!request.redirectUrl)
    throw new FlowError("consent-get", 200, JSON.stringify(request), "no redirectUrl");
  const accepted = await fetch(`${requestUrl}/accept`, {
    method: "PATCH",
    headers: { ...consentHeaders, "content-type": "application/json" },
    body: JSON.stringify({
      subject: options.subject,
      grantScopes: options.grantScopes ?? request.requestedScopes ?? client.scope.split(" "),
      ...(options.accessTokenExtra ? { accessTokenExtra: options.accessTokenExtra } : {}),
    }),
  });
  if (accepted.status !== 204) await fail("consent-accept", accepted, "expected 204");
  await accepted.body?.cancel();

  // 3. The browser follows redirectUrl with its cookie and lands on the client's redirect_uri.
  const callbackCookie = jar.header();
  const callback = await fetch(onInstance(request.redirectUrl, routes.callback), {
    redirect: "manual",
    headers: callbackCookie ? { cookie: callbackCookie } : {},
  });
  jar.store(callback);
  if (callback.status !== 302) await fail("callback", callback, "expected a 302 to the client");
  const location = callback.headers.get("location") ?? "";
  if (!location.startsWith(client.redirectUri)) {
    await fail("callback", callback, `redirected to ${location}, not the client`);
  }
  await callback.body?.cancel();
  const back = new URL(location).searchParams;
  const code = back.get("code");
  if (!code) throw new FlowError("callback", 302, location, "no code in the redirect");
  if (back.get("state") !== state) throw new FlowError("callback", 302, location, "state not echoed");

  // 4. The client redeems the code.
  const token = await fetch(`${routes.token}/oauth2/token`, {
    method: "POST",
    headers: {
      authorization: basicAuth(client.id, client.secret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: client.redirectUri,
      code_verifier: verifier,
    }),
  });
  if (token.status !== 200) await fail("token", token, "expected tokens");
  const tokens = (await token.json()) as FlowResult["tokens"];
  return { consentId: consentId as string, code, state, nonce, jar, tokens };
}
