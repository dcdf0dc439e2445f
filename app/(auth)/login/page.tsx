import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { Alert, ButtonLink, Card, Heading, Lead, PageTitle, TextLink } from "@/components/ui.tsx";
import { isDocumentRequest, isPlainFormPost } from "@/lib/actions/navigation.ts";
import { brand } from "@/lib/brand/brand.ts";
import { appConfig } from "@/lib/config/index.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";
import { type SignInReason, signInNeeded } from "@/lib/consent/steps.ts";
import { HydraError, hydra, type OAuth2ConsentRequest } from "@/lib/hydra/index.ts";
import { localReturnPath } from "@/lib/security/redirects.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { Hydra2Login } from "./hydra2-login.tsx";
import { LoginForm } from "./login-form.tsx";
import { SignOutForm } from "./sign-out-form.tsx";

/** Titled by what it shows: the sign-in form, or (Hydra 2.x) why the request cannot be answered. */
export const metadata: Metadata = { title: null };

/** The consent request and its app's name ("to continue to …"); none if they cannot be read. */
async function requestingApp(
  consent: string | undefined,
): Promise<{ request: OAuth2ConsentRequest; name: string } | undefined> {
  if (!consent) return undefined;
  try {
    const request = await hydra().getConsentRequest(consent);
    // Portico sends the client along with the request; another server needs a second call.
    const client = request.client ?? (await hydra().getClient(request.audience));
    return { request, name: client.client_name || client.id };
  } catch (error) {
    if (error instanceof HydraError) return undefined;
    throw error;
  }
}

const NOTICES: Partial<Record<SignInReason, string>> = {
  stale: "The app asks you to sign in again.",
  other_account: "The app expects a different account. Sign in with that account to continue.",
};

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  if (params.login_challenge !== undefined) return <Hydra2Login value={params.login_challenge} />;
  const consent = parseConsentId(params.consent);
  const next = localReturnPath(params.next);
  const [user, session, app] = await Promise.all([currentUser(), currentSession(), requestingApp(consent)]);
  // Signed in already: straight on, unless the request asks for a new sign-in or a choice of account.
  const reason = app ? signInNeeded(app.request, user, false) : user ? undefined : "signed_out";
  if (user && !reason && (await isDocumentRequest())) {
    redirect(consent ? `/consent?consent=${encodeURIComponent(consent)}` : (next ?? "/account"));
  }
  const notice = reason ? NOTICES[reason] : undefined;
  // A refused sign-in posted without JavaScript comes back at this address: its notice (signed out,
  // deleted, password changed) told of what came before, and the refusal is what this page says now.
  const earlier = !(await isPlainFormPost());
  const title = reason === "select_account" ? "Choose an account" : "Sign in";

  return (
    <Shell>
      <PageTitle>{title}</PageTitle>
      <Card>
        <Heading>{title}</Heading>
        <Lead>{app ? <>to continue to {app.name}</> : <>with your {brand.name} account</>}</Lead>
        {earlier && params.signed_out !== undefined && !consent && (
          <div className="mt-6">
            <Alert tone="info">You have signed out.</Alert>
          </div>
        )}
        {earlier && params.deleted !== undefined && !consent && (
          <div className="mt-6">
            <Alert tone="info">Your account was deleted.</Alert>
          </div>
        )}
        {earlier && params.reset !== undefined && (
          <div className="mt-6">
            <Alert tone="info">Your password was changed. Sign in with your new password.</Alert>
          </div>
        )}
        {notice && (
          <div className="mt-6">
            <Alert tone="info">{notice}</Alert>
          </div>
        )}
        {reason === "select_account" && user && consent ? (
          <div className="mt-6 space-y-4">
            <ButtonLink
              href={`/consent?consent=${encodeURIComponent(consent)}&account=current`}
              className="w-full"
            >
              Continue as {user.email}
            </ButtonLink>
            <SignOutForm csrf={session.csrf} consent={consent} label="Use another account" />
          </div>
        ) : (
          <LoginForm
            csrf={session.csrf}
            consent={consent}
            next={next}
            email={app?.request.loginHint ?? (reason === "stale" ? user?.email : undefined)}
          />
        )}
        <div className="mt-6 flex flex-col items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
          <TextLink href="/forgot-password">Forgot password?</TextLink>
          {appConfig().signup === "open" && (
            <p>
              New here?{" "}
              <TextLink href={consent ? `/signup?consent=${encodeURIComponent(consent)}` : "/signup"}>
                Create an account
              </TextLink>
            </p>
          )}
        </div>
      </Card>
    </Shell>
  );
}
