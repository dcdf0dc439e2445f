"use client";

import { useActionState } from "react";
import { signOutAction } from "@/app/(auth)/actions.ts";
import { Button, CsrfField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";

/** Signs out and comes back to the sign-in page of the same request ("Use another account"). */
export function SignOutForm({ csrf, consent, label }: { csrf: string; consent: string; label: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(signOutAction, IDLE);
  useNavigation(state);
  return (
    <form action={action}>
      <CsrfField token={csrf} />
      <input type="hidden" name="consent" value={consent} />
      <Button type="submit" variant="secondary" className="w-full" disabled={pending}>
        {label}
      </Button>
    </form>
  );
}
