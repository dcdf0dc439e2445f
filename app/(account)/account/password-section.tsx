import { Notice } from "@/components/action-form.tsx";
import { Card } from "@/components/ui.tsx";
import type { AccountContext } from "./context.ts";
import { ChangePasswordForm } from "./profile-forms.tsx";

/** Changing the password, with the current one. */
export function PasswordSection({ account: { user, session, done } }: { account: AccountContext }) {
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Password</h2>
      {done === "password" && (
        <div className="mt-4">
          <Notice>Your password was changed.</Notice>
        </div>
      )}
      <div className="mt-4 max-w-sm">
        <ChangePasswordForm csrf={session.csrf} email={user.email} />
      </div>
    </Card>
  );
}
