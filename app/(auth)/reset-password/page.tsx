import type { Metadata } from "next";
import { LinkProblemPage } from "@/components/link-problem.tsx";
import { NewPasswordLinkForm } from "@/components/new-password-link-form.tsx";
import { Shell } from "@/components/shell.tsx";
import { Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";
import { accountService } from "@/lib/accounts/index.ts";
import { currentSession } from "@/lib/session/index.ts";
import { resetPasswordAction } from "./actions.ts";

/** Titled by what it shows: the form, or why the link does not work (LinkProblemPage). */
export const metadata: Metadata = { title: null };

const RETRY = { href: "/forgot-password", label: "Ask for a new link" };

/** The page a reset link opens; following the link changes nothing until the form is sent. */
export default async function ResetPasswordPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  if (params.problem === "expired" || params.problem === "invalid") {
    return <LinkProblemPage problem={params.problem} retry={RETRY} />;
  }
  const token = typeof params.token === "string" ? params.token : undefined;
  const link = await accountService().inspectResetLink(token);
  if (!link.ok || !token)
    return <LinkProblemPage problem={link.ok ? "invalid" : link.problem} retry={RETRY} />;
  const session = await currentSession();
  return (
    <Shell>
      <PageTitle>Choose a new password</PageTitle>
      <Card>
        <Heading>Choose a new password</Heading>
        <Lead>For {link.user.email}. Setting it signs you out everywhere you are signed in.</Lead>
        <NewPasswordLinkForm
          action={resetPasswordAction}
          csrf={session.csrf}
          token={token}
          email={link.user.email}
          button="Set new password"
        />
      </Card>
    </Shell>
  );
}
