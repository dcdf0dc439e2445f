"use client";

import { EmailField, FormProblem, useFormAction } from "@/components/action-form.tsx";
import { NewPasswordField } from "@/components/password-field.tsx";
import { AccountUsername, Button, TextField } from "@/components/ui.tsx";
import {
  changeEmailAction,
  changeNameAction,
  changePasswordAction,
  confirmPasswordAction,
  resendVerificationAction,
} from "./profile-actions.ts";

export function ConfirmPasswordForm({ csrf, email }: { csrf: string; email: string }) {
  const { dispatch, pending, error } = useFormAction(confirmPasswordAction);
  return (
    <form action={dispatch} className="mt-4 space-y-4" aria-label="Confirm your password">
      <FormProblem error={error} csrf={csrf} />
      <AccountUsername email={email} />
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
  const { dispatch, pending, error } = useFormAction(changeNameAction);
  return (
    <form action={dispatch} className="space-y-4" aria-label="Change your name">
      <FormProblem error={error} csrf={csrf} />
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
  const { dispatch, pending, error } = useFormAction(changeEmailAction);
  return (
    <form action={dispatch} className="space-y-4" aria-label="Change your email address">
      <FormProblem error={error} csrf={csrf} />
      <EmailField
        label="New email address"
        name="email"
        id="change-email"
        autoComplete="email"
        error={error}
        hint="We send a link to the new address; your address changes when you follow it."
      />
      <Button type="submit" variant="secondary" disabled={pending} aria-busy={pending}>
        Change email address
      </Button>
    </form>
  );
}

export function ResendVerificationForm({ csrf }: { csrf: string }) {
  const { dispatch, pending, error } = useFormAction(resendVerificationAction);
  return (
    <form action={dispatch} className="space-y-3">
      <FormProblem error={error} csrf={csrf} />
      <Button type="submit" variant="secondary" disabled={pending} aria-busy={pending}>
        Send the confirmation email again
      </Button>
    </form>
  );
}

export function ChangePasswordForm({ csrf, email }: { csrf: string; email: string }) {
  const { dispatch, pending, error } = useFormAction(changePasswordAction);
  return (
    <form action={dispatch} className="space-y-4" aria-label="Change your password">
      <FormProblem error={error} csrf={csrf} />
      <AccountUsername email={email} />
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
