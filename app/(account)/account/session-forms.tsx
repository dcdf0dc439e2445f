"use client";

import { FormProblem, useFormAction } from "@/components/action-form.tsx";
import { Button } from "@/components/ui.tsx";
import { endOtherSessionsAction, endSessionAction, signOutEverywhereAction } from "./session-actions.ts";

/**
 * "End" for one session, named by its browser and system. Two sessions in the same browser are told
 * apart by what is beside the button, their address and times (`details`, the id of that text): a
 * screen reader says it with the name, where it heard two identical "End session: Chrome on Linux".
 */
export function EndSessionForm({
  csrf,
  sid,
  device,
  details,
}: {
  csrf: string;
  sid: string;
  device: string;
  details: string;
}) {
  const { dispatch: action, pending, error } = useFormAction(endSessionAction);
  return (
    <form action={action} className="flex flex-col items-stretch gap-2 sm:items-end">
      <FormProblem error={error} csrf={csrf} />
      <input type="hidden" name="sid" value={sid} />
      <Button
        type="submit"
        variant="secondary"
        disabled={pending}
        aria-label={`End session: ${device}`}
        aria-describedby={details}
      >
        End
      </Button>
    </form>
  );
}

export function EndOtherSessionsForm({ csrf }: { csrf: string }) {
  const { dispatch: action, pending, error } = useFormAction(endOtherSessionsAction);
  return (
    <form action={action} className="space-y-2">
      <FormProblem error={error} csrf={csrf} />
      <Button type="submit" variant="secondary" disabled={pending}>
        Sign out all other sessions
      </Button>
    </form>
  );
}

/** Ends every session of the person, this browser's included. */
export function SignOutEverywhereForm({ csrf }: { csrf: string }) {
  const { dispatch: action, pending, error } = useFormAction(signOutEverywhereAction);
  return (
    <form action={action} className="space-y-2">
      <FormProblem error={error} csrf={csrf} />
      <Button type="submit" variant="secondary" disabled={pending}>
        Sign out everywhere
      </Button>
    </form>
  );
}
