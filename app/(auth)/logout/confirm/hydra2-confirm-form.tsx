"use client";

import { useActionState } from "react";
import { confirmHydra2SignOutAction } from "@/app/(auth)/logout/hydra2-actions.ts";
import { RefusalAlert } from "@/components/action-form.tsx";
import { Button, CsrfField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";

/** Sign out or stay, for a Hydra 2.x logout request: both answers go to Hydra. */
export function Hydra2ConfirmSignOutForm({ csrf, challenge }: { csrf: string; challenge: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(confirmHydra2SignOutAction, IDLE);
  useNavigation(state);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-6 space-y-4">
      {error && <RefusalAlert key={error.id}>{error.message}</RefusalAlert>}
      <CsrfField token={error?.csrf ?? csrf} />
      <input type="hidden" name="logout_challenge" value={challenge} />
      <Button
        type="submit"
        name="decision"
        value="sign_out"
        className="w-full"
        disabled={pending}
        aria-busy={pending}
      >
        Sign out
      </Button>
      <Button
        type="submit"
        name="decision"
        value="stay"
        variant="secondary"
        className="w-full"
        disabled={pending}
      >
        Stay signed in
      </Button>
    </form>
  );
}
