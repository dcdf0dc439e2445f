"use client";

import { EmailField, RefusalAlert, useFormAction } from "@/components/action-form.tsx";
import { NewPasswordField } from "@/components/password-field.tsx";
import { Button, CsrfField, TextField } from "@/components/ui.tsx";
import { signUpAction } from "./actions.ts";

export function SignUpForm({ csrf, consent }: { csrf: string; consent?: string }) {
  const { dispatch: action, pending, error } = useFormAction(signUpAction);
  return (
    <form action={action} className="mt-6 space-y-5" aria-describedby={error ? "signup-error" : undefined}>
      {error && (
        <RefusalAlert key={error.id} id="signup-error">
          {error.message}
        </RefusalAlert>
      )}
      <CsrfField token={error?.csrf ?? csrf} />
      {consent && <input type="hidden" name="consent" value={consent} />}
      <TextField
        label="Name"
        name="name"
        autoComplete="name"
        required
        maxLength={200}
        defaultValue={error?.values?.name ?? ""}
        error={error?.fieldErrors?.name}
      />
      <EmailField label="Email" name="email" autoComplete="email" error={error} />
      <NewPasswordField
        label="Password"
        name="password"
        error={error?.fieldErrors?.password}
        context={["email", "name"]}
      />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        Create account
      </Button>
    </form>
  );
}
