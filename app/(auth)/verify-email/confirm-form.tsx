"use client";

import { useActionState } from "react";
import { FormProblem } from "@/components/action-form.tsx";
import { Button } from "@/components/ui.tsx";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import { confirmEmailAction } from "./actions.ts";

export function ConfirmEmailForm({ csrf, token, label }: { csrf: string; token: string; label: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(confirmEmailAction, IDLE);
  const error = state.status === "error" ? state : undefined;
  return (
    <form action={action} className="mt-6 space-y-5">
      <FormProblem error={error} csrf={csrf} />
      <input type="hidden" name="token" value={token} />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        {label}
      </Button>
    </form>
  );
}
