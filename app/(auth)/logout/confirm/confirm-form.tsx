"use client";

import { useActionState } from "react";
import { confirmSignOutAction } from "@/app/(auth)/logout/actions.ts";
import { RefusalAlert } from "@/components/action-form.tsx";
import { Button, ButtonLink, CsrfField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";

export function ConfirmSignOutForm({ csrf, logout }: { csrf: string; logout: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(confirmSignOutAction, IDLE);
  useNavigation(state);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-6 space-y-4">
      {error && <RefusalAlert key={error.id}>{error.message}</RefusalAlert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <input type="hidden" name="logout" value={logout} />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        Sign out
      </Button>
      <ButtonLink href="/account" variant="secondary" className="w-full">
        Stay signed in
      </ButtonLink>
    </form>
  );
}
