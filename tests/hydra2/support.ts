import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  type AcceptOAuth2ConsentRequest,
  type AcceptOAuth2LoginRequest,
  Configuration,
  JwkApi,
  MetadataApi,
  OAuth2Api,
  type OAuth2Client,
  type OAuth2LoginRequest,
  ResponseError,
} from "@ory/hydra-client-fetch";
import * as oidc from "openid-client";
import { Browser, relyingParty, type TestClient } from "@/tests/oauth2/support.ts";
import type { Portico } from "@/tests/support/server.ts";

/** Ory's official SDK, pointed at the admin listener of a started Portico. */
export function sdk(portico: Portico) {
  const configuration = new Configuration({ basePath: portico.adminUrl });
  return {
    oauth2: new OAuth2Api(configuration),
    jwk: new JwkApi(configuration),
    metadata: new MetadataApi(configuration),
  };
}

/** The raw JSON of an SDK answer, read before the SDK maps it to its camelCase models. */
export async function rawJson(response: { raw: Response }): Promise<unknown> {
  return response.raw.clone().json();
}

/** The HTTP answer of an SDK call that failed with an error status. */
export async function failure(call: Promise<unknown>): Promise<Response> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ResponseError) return error.response;
    throw error;
  }
  throw new Error("the call succeeded");
}

/** The challenge `name` of a 302 to `url` (the login or consent app's URLS_LOGIN or URLS_CONSENT). */
export function challengeOf(response: Response, url: string, name: string): string {
  assert.equal(response.status, 302, `expected a redirect to ${url}, got ${response.status}`);
  const location = new URL(response.headers.get("location") ?? "");
  assert.equal(`${location.origin}${location.pathname}`, url);
  const challenge = location.searchParams.get(name);
  assert.ok(challenge, `${name} is in the redirect`);
  return challenge;
}

/** The challenge `name` of a 302, checked to go to `url` (URLS_LOGIN, URLS_CONSENT) when one is given. */
function challengeIn(response: Response, url: string | undefined, name: string): string {
  if (url !== undefined) return challengeOf(response, url, name);
  assert.equal(response.status, 302, `expected a redirect, got ${response.status}`);
  const challenge = new URL(response.headers.get("location") ?? "").searchParams.get(name);
  assert.ok(challenge, `${name} is in the redirect`);
  return challenge;
}

export interface CodeFlowOptions {
  /** The relying party (openid-client) and the redirect URI it asks for. */
  config: oidc.Configuration;
  redirectUri: string;
  /** The browser that goes through the flow, with its cookies (a remembered login); a new one by default. */
  browser?: Browser;
  scope: string;
  /** More parameters of the authorization request (`audience` …). */
  params?: Record<string, string>;
  /** The accepted login: this body, or the one made from the login request (read first, then). */
  login: AcceptOAuth2LoginRequest | ((request: OAuth2LoginRequest) => AcceptOAuth2LoginRequest);
  consent: AcceptOAuth2ConsentRequest;
  /** Where the login and consent challenges must go (URLS_LOGIN, URLS_CONSENT); unchecked without. */
  urls?: { login: string; consent: string };
}

export interface CodeFlow {
  /** The answer that sends the browser back to the client; its `location` holds the code. */
  back: Response;
  verifier: string;
  state: string;
}

/**
 * The authorization-code flow with PKCE in a browser, the login and consent requests accepted on the
 * admin API (as a scripted login & consent app would), up to the code.
 */
export async function codeFlow(portico: Portico, options: CodeFlowOptions): Promise<CodeFlow> {
  const { oauth2 } = sdk(portico);
  const browser = options.browser ?? new Browser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(options.config, {
    redirect_uri: options.redirectUri,
    scope: options.scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...options.params,
  });
  const loginChallenge = challengeIn(await browser.get(url.href), options.urls?.login, "login_challenge");
  const { redirect_to: loginDone } = await oauth2.acceptOAuth2LoginRequest({
    loginChallenge,
    acceptOAuth2LoginRequest:
      typeof options.login === "function"
        ? options.login(await oauth2.getOAuth2LoginRequest({ loginChallenge }))
        : options.login,
  });
  const consentChallenge = challengeIn(
    await browser.get(loginDone),
    options.urls?.consent,
    "consent_challenge",
  );
  const { redirect_to } = await oauth2.acceptOAuth2ConsentRequest({
    consentChallenge,
    acceptOAuth2ConsentRequest: options.consent,
  });
  return { back: await browser.get(redirect_to), verifier, state };
}

/**
 * Registers a client with these fields on the admin API (its redirect URI: the first one), then runs
 * the code flow for it (the scope asked: the client's, unless given) up to the code.
 */
export async function clientWithCode(
  portico: Portico,
  fields: OAuth2Client,
  flow: Omit<CodeFlowOptions, "config" | "redirectUri" | "scope"> & { scope?: string },
): Promise<CodeFlow & { client: TestClient; config: oidc.Configuration }> {
  const created = await sdk(portico).oauth2.createOAuth2Client({ oAuth2Client: fields });
  const client = {
    id: fields.client_id as string,
    secret: created.client_secret,
    redirectUri: fields.redirect_uris?.[0] as string,
  };
  const config = await relyingParty(portico, client);
  const scope = flow.scope ?? (fields.scope as string);
  return {
    client,
    config,
    ...(await codeFlow(portico, { ...flow, config, redirectUri: client.redirectUri, scope })),
  };
}

/** fetch against the admin listener with an optional JSON (or raw string) body. */
export function admin(
  portico: Portico,
  path: string,
  init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const body = init.body ?? (init.json === undefined ? undefined : JSON.stringify(init.json));
  return fetch(`${portico.adminUrl}${path}`, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...init.headers },
    body,
    redirect: "manual",
  });
}

/** A back-channel logout receiver on a free loopback port: records every logout token it is sent. */
export class LogoutReceiver {
  readonly tokens: string[] = [];
  private server!: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        this.tokens.push(new URLSearchParams(body).get("logout_token") ?? "");
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/backchannel`;
    return this;
  }

  /** Waits until at least `count` tokens arrived; answers them all. */
  async waitFor(count: number, timeoutMs = 20_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.tokens.length < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    if (this.tokens.length < count)
      throw new Error(`expected ${count} logout tokens, got ${this.tokens.length}`);
    return this.tokens;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
