"use client";

import { FormProblem, useFormAction } from "@/components/action-form.tsx";
import { Button, TextField } from "@/components/ui.tsx";
import { deleteAccountAction } from "./delete-actions.ts";

export function DeleteAccountForm({ csrf }: { csrf: string }) {
  const { dispatch, pending, error } = useFormAction(deleteAccountAction);
  return (
    <form action={dispatch} className="mt-4 max-w-sm space-y-4" aria-label="Delete your account">
      <FormProblem error={error} csrf={csrf} />
      <TextField
        label="Type your email address to confirm"
        name="confirmation"
        id="delete-confirmation"
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        required
        error={error?.fieldErrors?.confirmation}
      />
      <Button
        type="submit"
        disabled={pending}
        aria-busy={pending}
        className="bg-red-700 text-white hover:bg-red-800"
      >
        Delete my account
      </Button>
    </form>
  );
}
