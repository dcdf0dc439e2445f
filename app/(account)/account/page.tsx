import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { ConfirmPasswordSection } from "./confirm-password-section.tsx";
import type { AccountContext } from "./context.ts";
import { DeleteSection } from "./delete-section.tsx";
import { OverviewSection } from "./overview-section.tsx";
import { PasswordSection } from "./password-section.tsx";
import { ProfileSection } from "./profile-section.tsx";
import { RememberedSection } from "./remembered-section.tsx";
import { SessionsSection } from "./sessions-section.tsx";

export const metadata: Metadata = { title: "Your account" };

/**
 * /account is a column of sections, one file each; this page only loads the
 * signed-in person and lists the sections in order.
 */
export default async function AccountPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await currentUser();
  if (!user) redirect("/login?next=/account");
  const { done } = await searchParams;
  const account: AccountContext = {
    user,
    session: await currentSession(),
    done: typeof done === "string" ? done : undefined,
  };

  return (
    <Shell width="wide">
      <div className="space-y-6">
        <OverviewSection account={account} />
        <ConfirmPasswordSection account={account} />
        <ProfileSection account={account} />
        <PasswordSection account={account} />
        <SessionsSection account={account} />
        <RememberedSection account={account} />
        <DeleteSection account={account} />
      </div>
    </Shell>
  );
}
