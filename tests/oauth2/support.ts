/**
 * What the OAuth 2.0 tests share: a browser (a cookie jar that follows
 * redirects by hand), the consent app (the consent API with the embedded
 * consent app's own client, as the real app does), clients registered
 * through the admin API, and strict, independent checks of ID tokens. Nothing
 * here imports server code: the tests see Portico only over HTTP.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { EMBEDDED_CONSENT_CLIENT_ID, embeddedConsentClientSecret } from "@/common/consent-client.ts";
import { type Portico, type StartOptions, startPortico } from "@/tests/support/server.ts";

export const SYSTEM_SECRET = "oauth2-tests-system-secret-0123456789";
/** Where /oauth2/auth sends the browser; the tests play the consent app instead of loading it. */
export const CONSENT_URL = "https://consent.example/consent";

export function startOAuth2Portico(options: StartOptions = {}): Promise<Portico> {
  return startPortico({
    ...options,
    env: { SYSTEM_SECRET, CONSENT_URL, ...options.env },
  });
}

interface Cookie {
  value: string;
  path: string;
}

/** A user agent: keeps cookies (honouring Path and Max-Age), never follows a redirect by itself. */
export class Browser {
  private cookies = new Map<string, Cookie>();

  async get(url: string): Promise<Response> {
    return this.send(url, {});
  }

  /** A form post, as a browser submits one (a POST authorization request, a form_post page). */
  async post(url: string, form: Record<string, string> | URLSearchParams): Promise<Response> {
    return this.send(url, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    const path = new URL(url).pathname;
    const sent = [...this.cookies]
      .filter(([, cookie]) => path === cookie.path || path.startsWith(`${cookie.path.replace(/\/$/, "")}/`))
      .map(([name, cookie]) => `${name}=${cookie.value}`);
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: {
        ...(init.headers as Record<string, string>),
        ...(sent.length > 0 ? { cookie: sent.join("; ") } : {}),
      },
    });
    for (const line of response.headers.getSetCookie()) this.store(line);
    return response;
  }

  private store(line: string): void {
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    let path = "/";
    let expired = false;
    for (const attribute of attributes) {
      const [key = "", value = ""] = attribute.split("=");
      if (key.toLowerCase() === "path") path = value;
      if (key.toLowerCase() === "max-age" && Number(value) <= 0) expired = true;
    }
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, { value: pair.slice(eq + 1), path });
  }

  /** The raw Set-Cookie attributes are checked elsewhere; this is what a test may copy between browsers. */
  snapshot(): Map<string, Cookie> {
    return new Map(this.cookies);
  }

  restore(cookies: Map<string, Cookie>): void {
    this.cookies = new Map(cookies);
  }

  get cookieNames(): string[] {
    return [...this.cookies.keys()];
  }
}

export interface ConsentRequestWire {
  id: string;
  audience: string;
  requestedScopes: string[];
  redirectUrl: string;
  expiresAt: string;
}

/** The consent app's half: the consent API, called with the embedded consent app's own client. */
export class ConsentApp {
  private constructor(
    private readonly portico: Portico,
    private current: string,
    private readonly freshTokens: boolean,
  ) {}

  /** `freshTokens`: a new access token for every call, for servers whose tokens live a second or two. */
  static async for(portico: Portico, options: { freshTokens?: boolean } = {}): Promise<ConsentApp> {
    return new ConsentApp(portico, await ConsentApp.newToken(portico), options.freshTokens ?? false);
  }

  private static newToken(portico: Portico): Promise<string> {
    const secret = embeddedConsentClientSecret(SYSTEM_SECRET);
    return portico.tokenFor(EMBEDDED_CONSENT_CLIENT_ID, secret, "hydra.consent");
  }

  get token(): string {
    return this.current;
  }

  private async call(path: string, init: { method?: string; json?: unknown } = {}): Promise<Response> {
    if (this.freshTokens) this.current = await ConsentApp.newToken(this.portico);
    return this.portico.call(`/oauth2/consent/requests/${path}`, { ...init, token: this.current });
  }

  get(id: string, query = ""): Promise<Response> {
    return this.call(`${encodeURIComponent(id)}${query}`);
  }

  async request(id: string): Promise<ConsentRequestWire> {
    const response = await this.get(id);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as ConsentRequestWire;
  }

  /** `GET /oauth2/consent/requests/{id}/decision` (an addition). */
  decision(id: string): Promise<Response> {
    return this.call(`${encodeURIComponent(id)}/decision`);
  }

  accept(id: string, body: unknown): Promise<Response> {
    return this.call(`${encodeURIComponent(id)}/accept`, { method: "PATCH", json: body });
  }

  reject(id: string, body: unknown = { reason: "no" }): Promise<Response> {
    return this.call(`${encodeURIComponent(id)}/reject`, { method: "PATCH", json: body });
  }
}

export interface TestClient {
  id: string;
  secret?: string;
  redirectUri: string;
}

/** Registers a client through the admin API; answers its id and (for confidential clients) secret. */
export async function registerClient(
  portico: Portico,
  fields: Record<string, unknown>,
  adminToken?: string,
): Promise<TestClient> {
  const id = (fields.id as string | undefined) ?? `client-${randomBytes(6).toString("hex")}`;
  const redirectUris = (fields.redirect_uris as string[] | undefined) ?? [`https://rp.example/${id}/cb`];
  const response = await portico.call("/clients", {
    token: adminToken ?? (await portico.rootToken("hydra.clients")),
    json: { scope: "openid offline profile", ...fields, id, redirect_uris: redirectUris },
  });
  assert.equal(response.status, 201, await response.clone().text());
  const body = (await response.json()) as { client_secret?: string };
  return { id, secret: body.client_secret, redirectUri: redirectUris[0] as string };
}

/** The consent id of a 302 to the consent app. */
export function consentIdOf(response: Response): string {
  assert.equal(response.status, 302, `expected a redirect to the consent app, got ${response.status}`);
  const location = response.headers.get("location") ?? "";
  assert.ok(location.startsWith(`${CONSENT_URL}?`), `redirected to ${location}, not the consent app`);
  const id = new URL(location).searchParams.get("consent");
  assert.ok(id, "the consent app is told the consent id");
  return id;
}

/** The parameters a redirect to the client carries, from its query or its fragment. */
export function responseParams(response: Response, mode: "query" | "fragment"): URLSearchParams {
  assert.equal(response.status, 302, `expected a redirect to the client, got ${response.status}`);
  const location = new URL(response.headers.get("location") ?? "");
  if (mode === "query") {
    assert.equal(location.hash, "", "nothing in the fragment of a query response");
    return location.searchParams;
  }
  assert.equal(location.search, "", "nothing in the query of a fragment response");
  return new URLSearchParams(location.hash.slice(1));
}

/** Runs the browser through /oauth2/auth, consent (accepted as given) and back; answers the final 302. */
export async function authorizeThrough(
  portico: Portico,
  consentApp: ConsentApp,
  browser: Browser,
  params: Record<string, string>,
  decision: Record<string, unknown> | "reject" = { subject: "user-1" },
): Promise<{ response: Response; consent: ConsentRequestWire }> {
  const started = await browser.get(`${portico.url}/oauth2/auth?${new URLSearchParams(params)}`);
  const id = consentIdOf(started);
  const consent = await consentApp.request(id);
  const decided =
    decision === "reject"
      ? await consentApp.reject(id)
      : await consentApp.accept(id, { grantScopes: consent.requestedScopes, ...decision });
  assert.equal(decided.status, 204, await decided.clone().text());
  return { response: await browser.get(consent.redirectUrl), consent };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export const randomValue = () => randomBytes(12).toString("base64url");

/** OpenID Connect Core §3.1.3.6: left half of SHA-256, base64url — computed here independently. */
function halfSha256(value: string): string {
  return createHash("sha256").update(value).digest().subarray(0, 16).toString("base64url");
}

/**
 * Validates an ID token strictly and independently of the server: RS256
 * signature against the published JWKS (found through discovery), header
 * kid "public", iss = the issuer exactly, aud = the client, exp/iat sane,
 * auth_time present, nonce, and at_hash / c_hash when a token or code came
 * with it (and their absence otherwise).
 */
export async function verifyIdToken(
  portico: Portico,
  idToken: string,
  expected: { clientId: string; subject: string; nonce?: string; accessToken?: string; code?: string },
): Promise<JWTPayload> {
  const discovery = (await (await fetch(`${portico.url}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
    jwks_uri: string;
  };
  assert.equal(discovery.issuer, portico.url);
  const header = decodeProtectedHeader(idToken);
  assert.equal(header.alg, "RS256");
  assert.equal(header.kid, "public");
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: portico.url,
    audience: expected.clientId,
    algorithms: ["RS256"],
    requiredClaims: ["iss", "sub", "aud", "exp", "iat", "auth_time"],
  });
  assert.equal(payload.sub, expected.subject);
  const now = Math.floor(Date.now() / 1000);
  assert.ok((payload.iat as number) <= now + 5 && (payload.iat as number) > now - 60, "iat is now");
  assert.ok((payload.exp as number) > now, "exp is in the future");
  assert.ok((payload.auth_time as number) <= now + 5, "auth_time is not in the future");
  assert.equal(payload.nonce, expected.nonce);
  assert.equal(
    payload.at_hash,
    expected.accessToken === undefined ? undefined : halfSha256(expected.accessToken),
  );
  assert.equal(payload.c_hash, expected.code === undefined ? undefined : halfSha256(expected.code));
  return payload;
}

/** An openid-client Configuration for a client of this server (plain HTTP allowed: tests run on loopback). */
export function relyingParty(
  portico: Portico,
  client: TestClient,
  auth: "basic" | "post" | "none" = "basic",
  execute: Array<(config: oidc.Configuration) => void> = [],
): Promise<oidc.Configuration> {
  const clientAuth =
    auth === "none"
      ? oidc.None()
      : auth === "post"
        ? oidc.ClientSecretPost(client.secret)
        : oidc.ClientSecretBasic(client.secret);
  return oidc.discovery(new URL(portico.url), client.id, undefined, clientAuth, {
    execute: [oidc.allowInsecureRequests, ...execute],
  });
}

/** POSTs a form, with HTTP Basic when credentials are given. */
export async function postForm(
  portico: Portico,
  path: string,
  form: Record<string, string>,
  credentials?: { id: string; secret: string },
): Promise<{ status: number; headers: Headers; text: string; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (credentials) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(credentials.id)}:${encodeURIComponent(credentials.secret)}`).toString("base64")}`;
  }
  const response = await fetch(`${portico.url}${path}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // not JSON: the caller looks at text
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The path of an authorization request of the client's code flow asking `openid`, `params` on top. */
export const codeFlowPath = (clientId: string, params: Record<string, string>) =>
  `/oauth2/auth?${new URLSearchParams({ client_id: clientId, response_type: "code", scope: "openid", ...params })}`;

/** A code redeemed at the token endpoint by its client (Basic): a 200 no cache may keep, and its tokens. */
export async function redeemCode(
  portico: Portico,
  client: { id: string; secret: string },
  code: string,
  redirectUri: string,
): Promise<{ id_token: string; access_token: string; refresh_token?: string }> {
  const answer = await postForm(
    portico,
    "/oauth2/token",
    { grant_type: "authorization_code", code, redirect_uri: redirectUri },
    client,
  );
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers.get("cache-control"), "no-store");
  return answer.json as { id_token: string; access_token: string; refresh_token?: string };
}

export function credentialsOf(client: TestClient): { id: string; secret: string } {
  assert.ok(client.secret, "a confidential client");
  return { id: client.id, secret: client.secret };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Grant types and response type of a client that refreshes (code flow with offline access). */
export const REFRESHING_CLIENT = {
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
};

/** A code flow with `openid offline` through the consent app: the client's first access and refresh tokens. */
export async function offlineTokens(
  portico: Portico,
  client: TestClient,
): Promise<{ access_token: string; refresh_token: string }> {
  const consentApp = await ConsentApp.for(portico);
  const { response } = await authorizeThrough(portico, consentApp, new Browser(), {
    response_type: "code",
    client_id: client.id,
    redirect_uri: client.redirectUri,
    scope: "openid offline",
    state: randomValue(),
  });
  const code = responseParams(response, "query").get("code") ?? "";
  const tokens = await postForm(
    portico,
    "/oauth2/token",
    { grant_type: "authorization_code", code, redirect_uri: client.redirectUri },
    credentialsOf(client),
  );
  return tokens.json as { access_token: string; refresh_token: string };
}

/** The refresh_token grant, authenticated as the client. */
export const refreshWith = (portico: Portico, client: TestClient, token: string) =>
  postForm(
    portico,
    "/oauth2/token",
    { grant_type: "refresh_token", refresh_token: token },
    credentialsOf(client),
  );

/** Whether introspection, asked by the client, calls the token active. */
export const isActive = async (portico: Portico, client: TestClient, token: string) =>
  (await postForm(portico, "/oauth2/introspect", { token }, credentialsOf(client))).json.active;
