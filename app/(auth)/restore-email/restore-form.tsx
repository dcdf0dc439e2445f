"use client";

import { useActionState } from "react";
import { RefusalAlert } from "@/components/action-form.tsx";
import { NewPasswordField } from "@/components/password-field.tsx";
import { AccountUsername, Button, CsrfField } from "@/components/ui.tsx";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import { restoreEmailAction } from "./actions.ts";

/** `email` is the address the account gets back, which the new password signs in with. */
export function RestoreEmailForm({ csrf, token, email }: { csrf: string; token: string; email: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(restoreEmailAction, IDLE);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-6 space-y-5">
      {error && <RefusalAlert key={error.id}>{error.message}</RefusalAlert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <input type="hidden" name="token" value={token} />
      <AccountUsername email={email} />
      <NewPasswordField label="New password" name="password" error={error?.fieldErrors?.password} />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        Keep my old address
      </Button>
    </form>
  );
}
