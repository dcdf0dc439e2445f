"use client";

import { useActionState } from "react";
import { FormProblem } from "@/components/action-form.tsx";
import { NewPasswordField } from "@/components/password-field.tsx";
import { AccountUsername, Button } from "@/components/ui.tsx";
import { type FormState, IDLE } from "@/lib/actions/state.ts";

/**
 * The form of a mailed link that ends in a new password (a reset, the undo
 * of a change of address): the link's token, the account's address for
 * password managers (never posted), the new password and one button.
 */
export function NewPasswordLinkForm({
  action: submit,
  csrf,
  token,
  email,
  button,
}: {
  action: (state: FormState, form: FormData) => Promise<FormState>;
  csrf: string;
  token: string;
  /** The address the account signs in with once the form is done. */
  email: string;
  button: string;
}) {
  const [state, action, pending] = useActionState<FormState, FormData>(submit, IDLE);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-6 space-y-5">
      <FormProblem error={error} csrf={csrf} />
      <input type="hidden" name="token" value={token} />
      <AccountUsername email={email} />
      <NewPasswordField label="New password" name="password" error={error?.fieldErrors?.password} />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        {button}
      </Button>
    </form>
  );
}
