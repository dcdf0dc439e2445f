import "server-only";
import { decodeJwt } from "jose";
import type { AuthOptions } from "next-auth";
import { DEMO_SCOPES } from "@/common/demo-client.ts";
import { appConfig } from "@/lib/config/index.ts";
import { log } from "@/lib/log/index.ts";

/** The id of the demo's next-auth provider; its callback is /api/auth/callback/portico. */
export const PROVIDER_ID = "portico";

/** The claims of an OpenID Connect ID token, as the demo shows them. */
export type IdTokenClaims = Record<string, unknown> & { sub: string };

/**
 * The demo relying party: next-auth v4 with Portico as a generic OpenID
 * Connect provider, discovered from ISSUER, using PKCE, state and nonce, and
 * validating the ID token. It is an ordinary third-party client of the
 * server: it knows only its own client id and secret.
 */
export function demoAuthOptions(): AuthOptions {
  const { issuer, demo } = appConfig();
  if (!demo) throw new Error("the demo relying party is off (PORTICO_DEMO is not 1)");
  return {
    secret: demo.authSecret,
    session: { strategy: "jwt" },
    pages: { signIn: "/", error: "/" },
    providers: [
      {
        id: PROVIDER_ID,
        name: "Portico",
        type: "oauth",
        wellKnown: `${issuer}/.well-known/openid-configuration`,
        clientId: demo.clientId,
        clientSecret: demo.clientSecret,
        client: { token_endpoint_auth_method: "client_secret_basic", id_token_signed_response_alg: "RS256" },
        authorization: { params: { scope: DEMO_SCOPES.join(" ") } },
        checks: ["pkce", "state", "nonce"],
        // The ID token is validated (signature, issuer, audience, expiry, nonce), and the profile comes
        // from the UserInfo endpoint, as next-auth and most relying parties do by default; openid-client
        // checks that its `sub` is the ID token's.
        idToken: true,
        userinfo: {
          // next-auth hands over the TokenSet of the validated callback; its type says only "parameters".
          request: ({ client, tokens }) => client.userinfo(tokens as Parameters<typeof client.userinfo>[0]),
        },
        profile(claims: IdTokenClaims) {
          return {
            id: claims.sub,
            name: typeof claims.name === "string" ? claims.name : null,
            email: typeof claims.email === "string" ? claims.email : null,
          };
        },
      },
    ],
    callbacks: {
      // On sign-in, keep the ID token's claims (validated above), the UserInfo answer and the tokens
      // the demo uses later (the access token, and the ID token as the hint of its sign-out) in the
      // (encrypted) session cookie.
      jwt({ token, account, profile }) {
        if (account?.id_token && profile) {
          token.idTokenClaims = decodeJwt(account.id_token);
          token.userinfo = profile;
          token.idToken = account.id_token;
          token.accessToken = account.access_token;
        }
        return token;
      },
      // What /api/auth/session tells the browser: no tokens.
      session({ session }) {
        return session;
      },
      // Where next-auth sends the browser after signing in or out (its callbackUrl, which the
      // request chooses): a path of this site, or this site's page when the value is anything else
      // — another site, or text that is no URL at all (next-auth's own default throws on those).
      redirect({ url, baseUrl }) {
        return sameSiteUrl(url, baseUrl) ?? baseUrl;
      },
    },
    logger: {
      error: (code, metadata) => log().warn(`demo app (next-auth): ${code}`, { detail: String(metadata) }),
      warn: (code) => log().warn(`demo app (next-auth): ${code}`),
      debug: () => {},
    },
  };
}

/** `url` (absolute, or a path) as an absolute URL when it stays on `baseUrl`'s origin; undefined otherwise. */
function sameSiteUrl(url: string, baseUrl: string): string | undefined {
  if (!URL.canParse(url, baseUrl) || !URL.canParse(baseUrl)) return undefined;
  const target = new URL(url, baseUrl);
  return target.origin === new URL(baseUrl).origin ? target.href : undefined;
}
