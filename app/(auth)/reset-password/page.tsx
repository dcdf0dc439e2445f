import type { Metadata } from "next";
import { LinkProblemPage } from "@/components/link-problem.tsx";
import { Shell } from "@/components/shell.tsx";
import { Card, Heading, Lead } from "@/components/ui.tsx";
import { accountService } from "@/lib/accounts/index.ts";
import { currentSession } from "@/lib/session/index.ts";
import { ResetPasswordForm } from "./reset-form.tsx";

export const metadata: Metadata = { title: "Choose a new password" };

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
      <Card>
        <Heading>Choose a new password</Heading>
        <Lead>For {link.user.email}. Setting it signs you out everywhere you are signed in.</Lead>
        <ResetPasswordForm csrf={session.csrf} token={token} />
      </Card>
    </Shell>
  );
}
