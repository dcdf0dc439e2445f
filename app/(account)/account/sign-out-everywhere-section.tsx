import { Card } from "@/components/ui.tsx";
import type { AccountContext } from "./context.ts";
import { SignOutEverywhereForm } from "./session-forms.tsx";

/**
 * "Sign out everywhere": ends every session of the person — remembered ones
 * on other devices and this one — and tells the apps they signed in to.
 */
export function SignOutEverywhereSection({ account: { session } }: { account: AccountContext }) {
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Sign out everywhere</h2>
      <p className="mt-1 mb-4 text-sm text-slate-600 dark:text-slate-400">
        Ends every session of your account, on every device, this one included, and tells the apps you signed
        in to through them.
      </p>
      <SignOutEverywhereForm csrf={session.csrf} />
    </Card>
  );
}
