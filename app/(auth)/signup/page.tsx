import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle, TextLink } from "@/components/ui.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import { brand } from "@/lib/brand/brand.ts";
import { appConfig } from "@/lib/config/index.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { SignUpForm } from "./signup-form.tsx";

/** Titled by what it shows: the form, or that sign-up is closed. */
export const metadata: Metadata = { title: null };

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const consent = parseConsentId(params.consent);
  const signIn = consent ? `/login?consent=${encodeURIComponent(consent)}` : "/login";
  if ((await currentUser()) && (await isDocumentRequest())) {
    redirect(consent ? `/consent?consent=${encodeURIComponent(consent)}` : "/account");
  }
  if (appConfig().signup !== "open") {
    return (
      <Shell>
        <PageTitle>Sign-up is closed</PageTitle>
        <Card>
          <Heading>Sign-up is closed</Heading>
          <Lead>
            New {brand.name} accounts are created by the people who run this service. Ask them for an account,
            or sign in if you have one.
          </Lead>
          <div className="mt-6">
            <ButtonLink href={signIn}>Sign in</ButtonLink>
          </div>
        </Card>
      </Shell>
    );
  }
  const session = await currentSession();
  return (
    <Shell>
      <PageTitle>Create an account</PageTitle>
      <Card>
        <Heading>Create your {brand.name} account</Heading>
        <Lead>We will send you an email to confirm your address.</Lead>
        <SignUpForm csrf={session.csrf} consent={consent} />
        <p className="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">
          Already have an account? <TextLink href={signIn}>Sign in</TextLink>
        </p>
      </Card>
    </Shell>
  );
}
