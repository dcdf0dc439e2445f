import { Notice } from "@/components/action-form.tsx";
import { Card } from "@/components/ui.tsx";
import { RECENT_SIGN_IN_SECONDS, signedInRecently } from "@/lib/accounts/recent.ts";
import { durationInWords } from "@/lib/format/duration.ts";
import type { AccountContext } from "./context.ts";
import { ConfirmPasswordForm } from "./profile-forms.tsx";

/**
 * Changes to the account need a recent sign-in (RECENT_SIGN_IN_SECONDS); after
 * that, this section asks for the password again.
 */
export function ConfirmPasswordSection({ account: { user, session, done } }: { account: AccountContext }) {
  if (signedInRecently(user.authTime)) {
    return done === "confirmed" ? (
      <Notice>
        Thank you. You can change your account for the next {durationInWords(RECENT_SIGN_IN_SECONDS)}.
      </Notice>
    ) : null;
  }
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Confirm it’s you</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        You signed in more than {durationInWords(RECENT_SIGN_IN_SECONDS)} ago. Enter your password again to
        change your account.
      </p>
      <ConfirmPasswordForm csrf={session.csrf} email={user.email} />
    </Card>
  );
}
