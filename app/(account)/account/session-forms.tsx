"use client";

import { useActionState } from "react";
import { Alert, Button, CsrfField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import { endOtherSessionsAction, endSessionAction } from "./session-actions.ts";

export function EndSessionForm({ csrf, sid, device }: { csrf: string; sid: string; device: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(endSessionAction, IDLE);
  useNavigation(state);
  return (
    <form action={action} className="flex flex-col items-stretch gap-2 sm:items-end">
      {state.status === "error" && <Alert key={state.id}>{state.message}</Alert>}
      <CsrfField token={(state.status === "error" && state.csrf) || csrf} />
      <input type="hidden" name="sid" value={sid} />
      <Button type="submit" variant="secondary" disabled={pending} aria-label={`End session: ${device}`}>
        End
      </Button>
    </form>
  );
}

export function EndOtherSessionsForm({ csrf }: { csrf: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(endOtherSessionsAction, IDLE);
  useNavigation(state);
  return (
    <form action={action} className="space-y-2">
      {state.status === "error" && <Alert key={state.id}>{state.message}</Alert>}
      <CsrfField token={(state.status === "error" && state.csrf) || csrf} />
      <Button type="submit" variant="secondary" disabled={pending}>
        Sign out all other sessions
      </Button>
    </form>
  );
}
