"use client";

import { useActionState } from "react";
import { NewPasswordField } from "@/components/password-field.tsx";
import { Alert, Button, CsrfField, TextField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import {
  changeEmailAction,
  changeNameAction,
  changePasswordAction,
  confirmPasswordAction,
  resendVerificationAction,
} from "./profile-actions.ts";

type Action = (previous: FormState, form: FormData) => Promise<FormState>;

function useForm(action: Action) {
  const [state, dispatch, pending] = useActionState<FormState, FormData>(action, IDLE);
  useNavigation(state);
  return { state, dispatch, pending, error: state.status === "error" ? state : undefined };
}

export function ConfirmPasswordForm({ csrf }: { csrf: string }) {
  const { dispatch, pending, error } = useForm(confirmPasswordAction);
  return (
    <form action={dispatch} className="mt-4 space-y-4" aria-label="Confirm your password">
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <TextField
        label="Current password"
        name="password"
        id="confirm-password"
        type="password"
        autoComplete="current-password"
        required
        error={error?.fieldErrors?.password}
      />
      <Button type="submit" disabled={pending} aria-busy={pending}>
        Confirm password
      </Button>
    </form>
  );
}

export function ChangeNameForm({ csrf, name }: { csrf: string; name: string }) {
  const { dispatch, pending, error } = useForm(changeNameAction);
  return (
    <form action={dispatch} className="space-y-4" aria-label="Change your name">
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <TextField
        label="Name"
        name="name"
        id="change-name"
        autoComplete="name"
        required
        maxLength={200}
        defaultValue={error?.values?.name ?? name}
        error={error?.fieldErrors?.name}
      />
      <Button type="submit" variant="secondary" disabled={pending} aria-busy={pending}>
        Save name
      </Button>
    </form>
  );
}

export function ChangeEmailForm({ csrf }: { csrf: string }) {
  const { dispatch, pending, error } = useForm(changeEmailAction);
  return (
    <form action={dispatch} className="space-y-4" aria-label="Change your email address">
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <TextField
        label="New email address"
        name="email"
        id="change-email"
        type="email"
        autoComplete="email"
        autoCapitalize="none"
        spellCheck={false}
        required
        defaultValue={error?.values?.email ?? ""}
        error={error?.fieldErrors?.email}
        hint="We send a link to the new address; your address changes when you follow it."
      />
      <Button type="submit" variant="secondary" disabled={pending} aria-busy={pending}>
        Change email address
      </Button>
    </form>
  );
}

export function ResendVerificationForm({ csrf }: { csrf: string }) {
  const { dispatch, pending, error } = useForm(resendVerificationAction);
  return (
    <form action={dispatch} className="space-y-3">
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <Button type="submit" variant="secondary" disabled={pending} aria-busy={pending}>
        Send the confirmation email again
      </Button>
    </form>
  );
}

export function ChangePasswordForm({ csrf }: { csrf: string }) {
  const { dispatch, pending, error } = useForm(changePasswordAction);
  return (
    <form action={dispatch} className="space-y-4" aria-label="Change your password">
      {error && <Alert key={error.id}>{error.message}</Alert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <TextField
        label="Current password"
        name="current"
        id="change-password-current"
        type="password"
        autoComplete="current-password"
        required
        error={error?.fieldErrors?.current}
      />
      <NewPasswordField label="New password" name="password" error={error?.fieldErrors?.password} />
      <Button type="submit" variant="secondary" disabled={pending} aria-busy={pending}>
        Change password
      </Button>
    </form>
  );
}
