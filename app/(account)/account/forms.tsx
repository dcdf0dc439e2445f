"use client";

import { signOutAction } from "@/app/(auth)/actions.ts";
import { FormProblem, useFormAction } from "@/components/action-form.tsx";
import { Button } from "@/components/ui.tsx";
import { revokeAction } from "./actions.ts";

export function RevokeForm({ csrf, client, appName }: { csrf: string; client: string; appName: string }) {
  const { dispatch: action, pending, error } = useFormAction(revokeAction);
  return (
    <form action={action} className="flex flex-col items-stretch gap-2 sm:items-end">
      <FormProblem error={error} csrf={csrf} />
      <input type="hidden" name="client" value={client} />
      <Button type="submit" variant="secondary" disabled={pending} aria-label={`Revoke ${appName}`}>
        Revoke
      </Button>
    </form>
  );
}

export function SignOutForm({ csrf }: { csrf: string }) {
  const { dispatch: action, pending, error } = useFormAction(signOutAction);
  return (
    <form action={action} className="flex flex-col items-stretch gap-2 sm:items-end">
      <FormProblem error={error} csrf={csrf} />
      <Button type="submit" variant="secondary" disabled={pending}>
        Sign out
      </Button>
    </form>
  );
}
