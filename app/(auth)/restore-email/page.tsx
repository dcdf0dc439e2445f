import type { Metadata } from "next";
import { LinkProblemPage } from "@/components/link-problem.tsx";
import { NewPasswordLinkForm } from "@/components/new-password-link-form.tsx";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";
import { accountService } from "@/lib/accounts/index.ts";
import { brand } from "@/lib/brand/brand.ts";
import { currentSession } from "@/lib/session/index.ts";
import { restoreEmailAction } from "./actions.ts";

/** Titled by what it shows: the form, its outcome, or why the link does not work (LinkProblemPage). */
export const metadata: Metadata = { title: null };

const RETRY = { href: "/login", label: "Go to sign in" };

/** The old address is another account's by now: nothing changed, and only the operator can help. */
function TakenPage() {
  return (
    <Shell>
      <PageTitle>Your old address is in use</PageTitle>
      <Card>
        <Heading>Your old address is in use</Heading>
        <Lead>
          Another account started using this email address since the change, so it cannot become your
          account&apos;s address again. Nothing was changed. Contact the people who run {brand.name}, with the
          email that brought you here.
        </Lead>
      </Card>
    </Shell>
  );
}

/**
 * The page the undo link (mailed to the old address after a change of
 * address) opens. Opening it changes nothing: mail scanners that fetch links
 * must not use them up. The button does.
 */
export default async function RestoreEmailPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  if (params.done !== undefined) {
    return (
      <Shell>
        <PageTitle>Your old email address is back</PageTitle>
        <Card>
          <Heading>Your old email address is back</Heading>
          <Lead>
            It is your account&apos;s address again, with the new password you chose, and everyone signed in
            to your account was signed out, on every device and in every app.
          </Lead>
          <div className="mt-6">
            <ButtonLink href="/login">Sign in</ButtonLink>
          </div>
        </Card>
      </Shell>
    );
  }
  if (params.problem === "taken") return <TakenPage />;
  if (params.problem === "expired" || params.problem === "invalid") {
    return <LinkProblemPage problem={params.problem} retry={RETRY} />;
  }
  const token = typeof params.token === "string" ? params.token : undefined;
  const link = await accountService().inspectRestoreLink(token);
  if (!link.ok && link.problem === "taken") return <TakenPage />;
  if (!link.ok || !token)
    return <LinkProblemPage problem={link.ok ? "invalid" : link.problem} retry={RETRY} />;
  const session = await currentSession();
  return (
    <Shell>
      <PageTitle>Keep your old email address</PageTitle>
      <Card>
        <Heading>Keep your old email address</Heading>
        <Lead>
          The address of your account was changed to {link.user.email}. If you did not do this, make{" "}
          {link.email} its address again. Whoever changed it may know your password, so choose a new one:
          everyone signed in to your account is then signed out everywhere.
        </Lead>
        <NewPasswordLinkForm
          action={restoreEmailAction}
          csrf={session.csrf}
          token={token}
          email={link.email}
          button="Keep my old address"
        />
      </Card>
    </Shell>
  );
}
