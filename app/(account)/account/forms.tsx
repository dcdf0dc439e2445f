"use client";

import { useActionState } from "react";
import { signOutAction } from "@/app/(auth)/actions.ts";
import { Alert, Button, CsrfField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import { revokeAction } from "./actions.ts";

export function RevokeForm({ csrf, client, appName }: { csrf: string; client: string; appName: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(revokeAction, IDLE);
  useNavigation(state);
  return (
    <form action={action} className="flex flex-col items-stretch gap-2 sm:items-end">
      {state.status === "error" && <Alert key={state.id}>{state.message}</Alert>}
      <CsrfField token={(state.status === "error" && state.csrf) || csrf} />
      <input type="hidden" name="client" value={client} />
      <Button type="submit" variant="secondary" disabled={pending} aria-label={`Revoke ${appName}`}>
        Revoke
      </Button>
    </form>
  );
}

export function SignOutForm({ csrf }: { csrf: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(signOutAction, IDLE);
  useNavigation(state);
  return (
    <form action={action}>
      <CsrfField token={csrf} />
      <Button type="submit" variant="secondary" disabled={pending}>
        Sign out
      </Button>
    </form>
  );
}
