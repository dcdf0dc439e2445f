"use client";

import { useActionState } from "react";
import { Alert, Button, CsrfField, TextField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import { deleteAccountAction } from "./delete-actions.ts";

export function DeleteAccountForm({ csrf }: { csrf: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(deleteAccountAction, IDLE);
  useNavigation(state);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-4 max-w-sm space-y-4" aria-label="Delete your account">
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
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
