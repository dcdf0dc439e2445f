/**
 * The sign-in flows a relying party sees, driven through each server's real
 * pages by a browser without JavaScript (./browser.ts), the same way on both
 * sides: authorization request (code, PKCE S256, state, nonce) → sign-in form
 * → consent form → the redirect to the client → token exchange → ID token
 * verified (signature, issuer, audience, nonce).
 *
 * - interactive: a new browser signs in and consents (password hash checked);
 * - SSO: a browser that signed in with "Remember me" and remembered its
 *   decision asks again, and no page is shown.
 */
import { createHash, randomBytes } from "node:crypto";
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, jwtVerify } from "jose";
import { Browser, BrowserError, expectPage, expectRedirect, type HtmlForm } from "./browser.ts";
import { basicAuth, type FlowClient } from "./flow.ts";

export interface OidcSide {
  /** Base URL of the server (its issuer). */
  issuer: string;
  authorizePath: string;
  tokenPath: string;
  client: FlowClient;
  keys: JWTVerifyGetKey;
}

export interface Person {
  email: string;
  password: string;
}

export async function fetchKeys(jwksUrl: string): Promise<JWTVerifyGetKey> {
  const response = await fetch(jwksUrl);
  if (!response.ok) throw new Error(`JWKS ${jwksUrl}: ${response.status}`);
  return createLocalJWKSet((await response.json()) as JSONWebKeySet);
}

const isSignInForm = (form: HtmlForm) => form.inputs.some((input) => input.name === "password");
const isConsentForm = (form: HtmlForm) => form.buttons.some((button) => button.value === "allow");

interface Request {
  url: string;
  state: string;
  nonce: string;
  verifier: string;
}

function authorizationRequest(side: OidcSide): Request {
  const state = randomBytes(12).toString("base64url");
  const nonce = randomBytes(12).toString("base64url");
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    response_type: "code",
    client_id: side.client.id,
    redirect_uri: side.client.redirectUri,
    scope: side.client.scope,
    state,
    nonce,
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  return { url: `${side.issuer}${side.authorizePath}?${query}`, state, nonce, verifier };
}

/** Redeems the code of the redirect and verifies the ID token; returns the token request count (1). */
async function redeem(side: OidcSide, request: Request, redirect: string): Promise<number> {
  const back = new URL(redirect).searchParams;
  const code = back.get("code");
  if (!code) throw new BrowserError(`no code in the redirect: ${redirect.slice(0, 200)}`);
  if (back.get("state") !== request.state) throw new BrowserError("state not echoed");
  const response = await fetch(`${side.issuer}${side.tokenPath}`, {
    method: "POST",
    headers: {
      authorization: basicAuth(side.client.id, side.client.secret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: side.client.redirectUri,
      code_verifier: request.verifier,
    }),
  });
  const body = (await response.json()) as { id_token?: string; access_token?: string };
  if (response.status !== 200 || !body.id_token || !body.access_token) {
    throw new BrowserError(`token exchange: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
  }
  const { payload } = await jwtVerify(body.id_token, side.keys, {
    issuer: side.issuer,
    audience: side.client.id,
  });
  if (payload.nonce !== request.nonce) throw new BrowserError("ID token nonce mismatch");
  return 1;
}

/**
 * A new browser signs in as `person` and consents. With `remember`, it ticks
 * "Remember me" and "Remember my decision" (and is then kept for SSO flows),
 * and a consent page that a remembered decision skips is not an error.
 * Returns the browser and the requests the flow made (browser + token).
 */
export async function interactiveFlow(
  side: OidcSide,
  person: Person,
  remember = false,
): Promise<{ browser: Browser; requests: number }> {
  const browser = new Browser(side.issuer);
  const request = authorizationRequest(side);
  const stopAt = side.client.redirectUri;
  const signIn = expectPage(await browser.open(request.url, stopAt), "the sign-in page");
  const signedIn = await browser.submit(signIn, {
    pick: isSignInForm,
    fields: { email: person.email, password: person.password },
    tick: remember ? ["remember"] : [],
    stopAt,
  });
  const redirect =
    remember && "redirect" in signedIn
      ? signedIn.redirect
      : expectRedirect(
          await browser.submit(expectPage(signedIn, "the consent page"), {
            pick: isConsentForm,
            button: (button) => button.value === "allow",
            tick: remember ? ["remember"] : [],
            stopAt,
          }),
          "the redirect to the client",
        );
  const token = await redeem(side, request, redirect);
  return { browser, requests: browser.requests + token };
}

/** A signed-in browser with a remembered decision asks again: no page, straight back with a code. */
export async function ssoFlow(side: OidcSide, browser: Browser): Promise<{ requests: number }> {
  const before = browser.requests;
  const request = authorizationRequest(side);
  const redirect = expectRedirect(
    await browser.open(request.url, side.client.redirectUri),
    "the redirect to the client (SSO)",
  );
  const token = await redeem(side, request, redirect);
  return { requests: browser.requests - before + token };
}
