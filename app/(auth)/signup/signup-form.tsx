"use client";

import { useActionState } from "react";
import { NewPasswordField } from "@/components/password-field.tsx";
import { Alert, Button, CsrfField, TextField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import { signUpAction } from "./actions.ts";

export function SignUpForm({ csrf, consent }: { csrf: string; consent?: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(signUpAction, IDLE);
  useNavigation(state);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-6 space-y-5" aria-describedby={error ? "signup-error" : undefined}>
      {error && (
        <Alert key={error.id} id="signup-error">
          {error.message}
        </Alert>
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
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        autoCapitalize="none"
        spellCheck={false}
        required
        defaultValue={error?.values?.email ?? ""}
        error={error?.fieldErrors?.email}
      />
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
