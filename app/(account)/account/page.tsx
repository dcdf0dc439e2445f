import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { unlessDatabaseUnavailable } from "@/components/unavailable-page.tsx";
import { isPlainFormPost } from "@/lib/actions/navigation.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { AppsSection } from "./apps-section.tsx";
import { ConfirmPasswordSection } from "./confirm-password-section.tsx";
import type { AccountContext } from "./context.ts";
import { DeleteSection } from "./delete-section.tsx";
import { OverviewSection } from "./overview-section.tsx";
import { PasswordSection } from "./password-section.tsx";
import { ProfileSection } from "./profile-section.tsx";
import { SessionsSection } from "./sessions-section.tsx";
import { SignOutEverywhereSection } from "./sign-out-everywhere-section.tsx";

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
  // The database down (the person or their sessions cannot be read): said with a 503, not Next.js's 500.
  return unlessDatabaseUnavailable("account", "/account", async () => {
    const user = await currentUser();
    if (!user) redirect("/login?next=/account");
    const { done } = await searchParams;
    // A form posted without JavaScript and refused is answered at the address it was sent from: an
    // earlier change's notice there (?done=name) would be said again, as if it answered this post.
    const plainPost = await isPlainFormPost();
    const account: AccountContext = {
      user,
      session: await currentSession(),
      done: typeof done === "string" && !plainPost ? done : undefined,
    };

    // The sections that read the database are awaited here, within the outage check, not left to React.
    const sessions = await SessionsSection({ account });
    const apps = await AppsSection({ account });
    return (
      <Shell width="wide">
        <div className="space-y-6">
          <OverviewSection account={account} />
          <ConfirmPasswordSection account={account} />
          <ProfileSection account={account} />
          <PasswordSection account={account} />
          {sessions}
          <SignOutEverywhereSection account={account} />
          {apps}
          <DeleteSection account={account} />
        </div>
      </Shell>
    );
  });
}
