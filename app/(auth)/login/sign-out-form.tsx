"use client";

import { signOutAction } from "@/app/(auth)/actions.ts";
import { FormProblem, useFormAction } from "@/components/action-form.tsx";
import { Button } from "@/components/ui.tsx";

/** Signs out and comes back to the sign-in page of the same request ("Use another account"). */
export function SignOutForm({ csrf, consent, label }: { csrf: string; consent: string; label: string }) {
  const { dispatch: action, pending, error } = useFormAction(signOutAction);
  return (
    <form action={action} className="space-y-3">
      <FormProblem error={error} csrf={csrf} />
      <input type="hidden" name="consent" value={consent} />
      <Button type="submit" variant="secondary" className="w-full" disabled={pending}>
        {label}
      </Button>
    </form>
  );
}
