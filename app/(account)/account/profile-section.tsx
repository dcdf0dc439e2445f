import { Notice } from "@/components/action-form.tsx";
import { Card } from "@/components/ui.tsx";
import type { AccountContext } from "./context.ts";
import { ChangeEmailForm, ChangeNameForm, ResendVerificationForm } from "./profile-forms.tsx";

const NOTICES: Record<string, string> = {
  name: "Your name was saved.",
  email: "We sent a link to your new address. Your address changes when you follow it.",
  verification: "We sent the confirmation email again. Only its newest link works.",
};

/** Name and email address: whether the address is confirmed, and changing either. */
export function ProfileSection({ account: { user, session, done } }: { account: AccountContext }) {
  const notice = done ? NOTICES[done] : undefined;
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Name and email address</h2>
      {notice && (
        <div className="mt-4">
          <Notice>{notice}</Notice>
        </div>
      )}
      <div className="mt-4 rounded-lg bg-slate-50 px-4 py-3 text-sm dark:bg-slate-800/60">
        {user.emailVerifiedAt ? (
          <p className="text-green-800 dark:text-green-300">Your email address is confirmed.</p>
        ) : (
          <p className="text-amber-800 dark:text-amber-300">Your email address is not confirmed yet.</p>
        )}
        {!user.emailVerifiedAt && (
          <div className="mt-3 space-y-3">
            <p className="text-slate-600 dark:text-slate-400">
              Follow the link in the email we sent you. Apps see your address as unverified until then.
            </p>
            <ResendVerificationForm csrf={session.csrf} />
          </div>
        )}
      </div>
      <div className="mt-6 grid gap-8 sm:grid-cols-2">
        <ChangeNameForm csrf={session.csrf} name={user.name} />
        <ChangeEmailForm csrf={session.csrf} />
      </div>
    </Card>
  );
}
