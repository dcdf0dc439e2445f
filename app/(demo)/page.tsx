import type { Metadata } from "next";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getToken } from "next-auth/jwt";
import { Shell } from "@/components/shell.tsx";
import { Alert, Button, ButtonLink, Card, Heading, Lead } from "@/components/ui.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import { brand } from "@/lib/brand/brand.ts";
import { appConfig } from "@/lib/config/index.ts";
import { describeError, log } from "@/lib/log/index.ts";
import { type IdTokenClaims, PROVIDER_ID } from "./_lib/auth.ts";
import { type Introspection, introspect } from "./_lib/introspect.ts";
import { ClaimsTable } from "./claims-table.tsx";

export const metadata: Metadata = { title: "Demo app" };

const ERRORS: Record<string, string> = {
  access_denied: "You denied the demo app access, so it could not sign you in.",
};

type Params = Record<string, string | string[] | undefined>;

export default async function HomePage({ searchParams }: { searchParams: Promise<Params> }) {
  const { demo, secureCookies } = appConfig();
  if (!demo) return <Landing />;

  const params = await searchParams;
  const cookieStore = await cookies();
  // next-auth's sign-in and sign-out are form posts that carry its CSRF token. Its cookie is set by
  // any /api/auth request: the first visit passes through /api/auth/signin, which comes back here.
  const csrfCookie = secureCookies ? "__Host-next-auth.csrf-token" : "next-auth.csrf-token";
  const csrfToken = cookieStore.get(csrfCookie)?.value.split("|")[0];
  if (!csrfToken && params.callbackUrl === undefined && (await isDocumentRequest())) {
    redirect("/api/auth/signin?callbackUrl=%2F");
  }

  const token = await getToken({
    // getToken reads only `cookies` (anything with getAll) and `headers`.
    req: { cookies: cookieStore, headers: new Headers() } as unknown as Parameters<typeof getToken>[0]["req"],
    secret: demo.authSecret,
  });
  const claims = token?.idTokenClaims as IdTokenClaims | undefined;
  const error = typeof params.error === "string" ? params.error : undefined;

  return (
    <Shell
      width={claims ? "wide" : "narrow"}
      footer={
        <span>
          A demo relying party built with next-auth ·{" "}
          <a className="underline underline-offset-4" href="/account">
            Your {brand.name} account
          </a>
        </span>
      }
    >
      {claims ? (
        <SignedIn
          claims={claims}
          userinfo={token?.userinfo as Record<string, unknown> | undefined}
          idToken={token?.idToken as string | undefined}
          accessToken={token?.accessToken as string | undefined}
          csrfToken={csrfToken}
        />
      ) : (
        <SignedOut csrfToken={csrfToken} error={error} />
      )}
    </Shell>
  );
}

function DemoLogo() {
  return (
    // biome-ignore lint/performance/noImgElement: a static SVG from public/
    <img src="/demo/logo.svg" alt="" width={48} height={48} className="size-12" />
  );
}

function SignedOut({ csrfToken, error }: { csrfToken: string | undefined; error: string | undefined }) {
  return (
    <Card>
      <div className="flex items-center gap-3">
        <DemoLogo />
        <div>
          <Heading>Portico Demo App</Heading>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            An app that signs you in with {brand.name}
          </p>
        </div>
      </div>
      <Lead>
        This page is a separate OAuth 2.0 client. Signing in runs the whole OpenID Connect flow through{" "}
        {brand.name}: you sign in, choose what to share, and come back here to see the ID token and the
        introspected access token the app received.
      </Lead>
      {error && (
        <div className="mt-6">
          <Alert>
            <p className="font-medium">Sign-in did not complete</p>
            <p>
              {ERRORS[error] ?? "The sign-in service reported an error."} The app received{" "}
              <code className="font-mono">error={error}</code>.
            </p>
          </Alert>
        </div>
      )}
      {csrfToken ? (
        <form method="post" action={`/api/auth/signin/${PROVIDER_ID}`} className="mt-6">
          <input type="hidden" name="csrfToken" value={csrfToken} />
          <input type="hidden" name="callbackUrl" value="/" />
          <Button type="submit" className="w-full">
            Sign in with {brand.name}
          </Button>
        </form>
      ) : (
        <div className="mt-6">
          <Alert>This demo needs cookies. Please allow cookies for this site and reload the page.</Alert>
        </div>
      )}
    </Card>
  );
}

async function SignedIn({
  claims,
  userinfo,
  idToken,
  accessToken,
  csrfToken,
}: {
  claims: IdTokenClaims;
  userinfo: Record<string, unknown> | undefined;
  idToken: string | undefined;
  accessToken: string | undefined;
  csrfToken: string | undefined;
}) {
  let introspection: Introspection | undefined;
  if (accessToken) {
    try {
      introspection = await introspect(accessToken);
    } catch (error) {
      log().warn("demo app: introspection failed", describeError(error));
    }
  }
  const who =
    (typeof claims.name === "string" && claims.name) || (typeof claims.email === "string" && claims.email);
  return (
    <div className="space-y-6">
      <Card>
        <div className="flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between">
          <div className="flex items-center gap-3">
            <DemoLogo />
            <div>
              <Heading>Welcome{who ? `, ${who}` : ""}</Heading>
              <p className="text-sm text-slate-600 dark:text-slate-400">
                You are signed in to the demo app with {brand.name}.
              </p>
            </div>
          </div>
          {csrfToken && (
            // next-auth ends the demo's own session, then sends the browser to Portico's end-session
            // endpoint (RP-Initiated Logout), which signs the person out of Portico too and comes back here.
            <form method="post" action="/api/auth/signout">
              <input type="hidden" name="csrfToken" value={csrfToken} />
              <input type="hidden" name="callbackUrl" value={endSessionUrl(idToken)} />
              <Button type="submit" variant="secondary" className="whitespace-nowrap">
                Sign out of the demo
              </Button>
            </form>
          )}
        </div>
      </Card>
      <Card>
        <h2 className="text-lg font-semibold tracking-tight">ID token claims</h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Verified by the app: signature (RS256, from the server's JWKs), issuer, audience, expiry and nonce.
        </p>
        <ClaimsTable label="ID token claims" claims={claims} />
      </Card>
      {userinfo && (
        <Card>
          <h2 className="text-lg font-semibold tracking-tight">UserInfo</h2>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            What <code className="font-mono">/userinfo</code> answered the app's access token at sign-in: the
            claims you agreed to share.
          </p>
          <ClaimsTable label="UserInfo claims" claims={userinfo} />
        </Card>
      )}
      <Card>
        <h2 className="text-lg font-semibold tracking-tight">Access token, introspected</h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          What <code className="font-mono">/oauth2/introspect</code> says about the app's access token.
        </p>
        {introspection ? (
          <ClaimsTable label="Access token introspection" claims={introspection} />
        ) : (
          <div className="mt-4">
            <Alert>The access token could not be introspected. The server log has the details.</Alert>
          </div>
        )}
      </Card>
      <p className="text-center text-sm">
        <ButtonLink href="/account" variant="quiet">
          Manage the apps you let in
        </ButtonLink>
      </p>
    </div>
  );
}

/** Portico's end-session endpoint with the demo's ID token as the hint, back to this page afterwards. */
function endSessionUrl(idToken: string | undefined): string {
  const { issuer } = appConfig();
  if (!idToken) return "/";
  const params = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: `${issuer}/` });
  return `${issuer}/oauth2/sessions/logout?${params}`;
}

function Landing() {
  return (
    <Shell>
      <Card>
        <Heading>{brand.name}</Heading>
        <Lead>
          This is the sign-in service for your apps. You will be sent here when an app needs you to sign in.
        </Lead>
        <div className="mt-6">
          <ButtonLink href="/account" className="w-full">
            Go to your account
          </ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
