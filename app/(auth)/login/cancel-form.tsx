"use client";

import { useActionState } from "react";
import { cancelSignInHydra2Action } from "@/app/(auth)/login/hydra2-actions.ts";
import { RefusalAlert } from "@/components/action-form.tsx";
import { Button, CsrfField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";

/** "Cancel" under a Hydra 2.x sign-in: the app that asked is told the person declined. */
export function CancelSignInForm({ csrf, loginChallenge }: { csrf: string; loginChallenge: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(cancelSignInHydra2Action, IDLE);
  useNavigation(state);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-3 space-y-3">
      {error && <RefusalAlert key={error.id}>{error.message}</RefusalAlert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <input type="hidden" name="login_challenge" value={loginChallenge} />
      <Button type="submit" variant="secondary" className="w-full" disabled={pending} aria-busy={pending}>
        Cancel
      </Button>
    </form>
  );
}
