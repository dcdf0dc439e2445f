"use client";

import { type ComponentProps, useActionState } from "react";
import { Alert, CsrfField, TextField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";

type Action = (previous: FormState, form: FormData) => Promise<FormState>;
type Refused = Extract<FormState, { status: "error" }>;

/** A form's server action, its state, and the refusal to show (the `navigate` answer is followed). */
export function useFormAction(action: Action) {
  const [state, dispatch, pending] = useActionState<FormState, FormData>(action, IDLE);
  useNavigation(state);
  return { state, dispatch, pending, error: state.status === "error" ? state : undefined };
}

/**
 * What every form starts with: the refusal, if the last post was refused, and the CSRF field —
 * with the token the refusal brought, which replaces the page's when the session was just made.
 */
export function FormProblem({ error, csrf }: { error: Refused | undefined; csrf: string }) {
  return (
    <>
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
    </>
  );
}

/** An email address field: no capitals or spelling fixes forced on it, the last value kept on a refusal. */
export function EmailField({
  error,
  ...props
}: Omit<ComponentProps<typeof TextField>, "type" | "error"> & { error: Refused | undefined }) {
  return (
    <TextField
      type="email"
      autoCapitalize="none"
      spellCheck={false}
      required
      defaultValue={error?.values?.email ?? ""}
      error={error?.fieldErrors?.email}
      {...props}
    />
  );
}
