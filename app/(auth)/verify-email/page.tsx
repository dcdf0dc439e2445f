import type { Metadata } from "next";
import { LinkProblemPage } from "@/components/link-problem.tsx";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";
import { accountService } from "@/lib/accounts/index.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { ConfirmEmailForm } from "./confirm-form.tsx";

/** Titled by what it shows: the form, its outcome, or why the link does not work (LinkProblemPage). */
export const metadata: Metadata = { title: null };

/**
 * The page a verification (or new-address) link opens. Opening it changes
 * nothing: mail scanners that fetch links must not use them up. The button
 * does.
 */
export default async function VerifyEmailPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const signedIn = (await currentUser()) !== null;
  const retry = signedIn
    ? { href: "/account", label: "Go to your account" }
    : { href: "/login", label: "Go to sign in" };
  if (params.done !== undefined) {
    return (
      <Shell>
        <PageTitle>Your email address is confirmed</PageTitle>
        <Card>
          <Heading>Your email address is confirmed</Heading>
          <Lead>Thank you. Apps you sign in to now see it as verified.</Lead>
          <div className="mt-6">
            <ButtonLink href={retry.href}>{signedIn ? "Go to your account" : "Sign in"}</ButtonLink>
          </div>
        </Card>
      </Shell>
    );
  }
  if (params.problem === "expired" || params.problem === "invalid" || params.problem === "taken") {
    return <LinkProblemPage problem={params.problem} retry={retry} />;
  }
  const token = typeof params.token === "string" ? params.token : undefined;
  const link = await accountService().inspectEmailLink(token);
  if (!link.ok || !token)
    return <LinkProblemPage problem={link.ok ? "invalid" : link.problem} retry={retry} />;
  const session = await currentSession();
  return (
    <Shell>
      <PageTitle>{link.change ? "Use your new email address" : "Confirm your email address"}</PageTitle>
      <Card>
        <Heading>{link.change ? "Use your new email address" : "Confirm your email address"}</Heading>
        <Lead>
          {link.change ? (
            <>Confirm that {link.email} should become the address of your account.</>
          ) : (
            <>Confirm that {link.email} is your email address.</>
          )}
        </Lead>
        <ConfirmEmailForm
          csrf={session.csrf}
          token={token}
          label={link.change ? "Use this email address" : "Confirm my email address"}
        />
      </Card>
    </Shell>
  );
}
