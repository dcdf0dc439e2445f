import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import type { AccountContext } from "./context.ts";
import { OverviewSection } from "./overview-section.tsx";
import { RememberedSection } from "./remembered-section.tsx";

export const metadata: Metadata = { title: "Your account" };

/**
 * /account is a column of sections, one file each; this page only loads the
 * signed-in person and lists the sections in order.
 */
export default async function AccountPage() {
  const user = await currentUser();
  if (!user) redirect("/login?next=/account");
  const account: AccountContext = { user, session: await currentSession() };

  return (
    <Shell width="wide">
      <div className="space-y-6">
        <OverviewSection account={account} />
        <RememberedSection account={account} />
      </div>
    </Shell>
  );
}
