"use client";

import { useActionState } from "react";
import { Alert, Button, CsrfField, TextField } from "@/components/ui.tsx";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import { forgotPasswordAction } from "./actions.ts";

export function ForgotPasswordForm({ csrf }: { csrf: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(forgotPasswordAction, IDLE);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-6 space-y-5">
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
        defaultValue={error?.values?.email ?? ""}
        error={error?.fieldErrors?.email}
      />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        Send reset link
      </Button>
    </form>
  );
}
