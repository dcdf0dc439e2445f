"use client";

import { EmailField, FormProblem, useFormAction } from "@/components/action-form.tsx";
import { Button } from "@/components/ui.tsx";
import { forgotPasswordAction } from "./actions.ts";

export function ForgotPasswordForm({ csrf }: { csrf: string }) {
  const { dispatch, pending, error } = useFormAction(forgotPasswordAction);
  return (
    <form action={dispatch} className="mt-6 space-y-5">
      <FormProblem error={error} csrf={csrf} />
      <EmailField label="Email" name="email" autoComplete="username" error={error} />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        Send reset link
      </Button>
    </form>
  );
}
