import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { Alert, Card, Heading, Lead, TextLink } from "@/components/ui.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import { brand } from "@/lib/brand/brand.ts";
import { appConfig } from "@/lib/config/index.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";
import { HydraError, hydra } from "@/lib/hydra/index.ts";
import { localReturnPath } from "@/lib/security/redirects.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { LoginForm } from "./login-form.tsx";

export const metadata: Metadata = { title: "Sign in" };

/** The name of the app a consent request comes from, for "to continue to …"; none if it cannot be read. */
async function requestingApp(consent: string | undefined): Promise<string | undefined> {
  if (!consent) return undefined;
  try {
    const request = await hydra().getConsentRequest(consent);
    const client = await hydra().getClient(request.audience);
    return client.client_name || client.id;
  } catch (error) {
    if (error instanceof HydraError) return undefined;
    throw error;
  }
}

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const consent = parseConsentId(params.consent);
  const next = localReturnPath(params.next);
  if ((await currentUser()) && (await isDocumentRequest())) {
    redirect(consent ? `/consent?consent=${encodeURIComponent(consent)}` : (next ?? "/account"));
  }
  const [session, app] = await Promise.all([currentSession(), requestingApp(consent)]);

  return (
    <Shell>
      <Card>
        <Heading>Sign in</Heading>
        <Lead>{app ? <>to continue to {app}</> : <>with your {brand.name} account</>}</Lead>
        {params.signed_out !== undefined && !consent && (
          <div className="mt-6">
            <Alert tone="info">You have signed out.</Alert>
          </div>
        )}
        {params.reset !== undefined && (
          <div className="mt-6">
            <Alert tone="info">Your password was changed. Sign in with your new password.</Alert>
          </div>
        )}
        <LoginForm csrf={session.csrf} consent={consent} next={next} />
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
