"use client";

import {
  type ComponentProps,
  type ReactNode,
  useActionState,
  useEffect,
  useRef,
  useSyncExternalStore,
} from "react";
import { Alert, CsrfField, TextField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { type FormState, IDLE } from "@/lib/actions/state.ts";

type Action = (previous: FormState, form: FormData) => Promise<FormState>;
type Refused = Extract<FormState, { status: "error" }>;

/** A form's server action, its state, and the refusal to show (the `navigate` answer is followed). */
export function useFormAction(action: Action) {
  const [state, dispatch, pending] = useActionState<FormState, FormData>(action, IDLE);
  useNavigation(state);
  return { state, dispatch, pending, error: state.status === "error" ? state : undefined };
}

/**
 * A form's refusal: announced at once (role="alert"), and where the keyboard focus goes when it
 * appears — to the first field it marks invalid, else to the message itself. The submit button
 * is disabled while the form is sent, which drops the focus to the top of the page: without
 * this, a keyboard user heard the error and then had to find the way back to the form from the
 * page's first link. The focus is left alone when the person has moved on elsewhere meanwhile.
 * Render it with the refusal's id as its key, so that every refusal takes the focus again.
 *
 * Without JavaScript the refusal comes as a new page, drawn by the server: there the message carries
 * `autofocus`, so that the browser puts the focus on it as the page loads (nothing else would, and a
 * screen reader would start from the top of the page, past a message it is not told about). Only
 * the server's drawing has it: once the page's script runs, the effect above decides.
 */
export function RefusalAlert({ id, children }: { id?: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const drawnByServer = useDrawnByServer();
  useEffect(() => {
    const alert = ref.current;
    if (!alert) return;
    const form = alert.closest("form");
    const active = document.activeElement;
    if (active && active !== document.body && !form?.contains(active)) return;
    (form?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? alert).focus();
  }, []);
  return (
    <Alert ref={ref} id={id} tabIndex={-1} autoFocus={drawnByServer}>
      {children}
    </Alert>
  );
}

const noSubscription = () => () => {};

/** True while the server draws the component (and for hydration), false once the page's script runs. */
function useDrawnByServer(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => false,
    () => true,
  );
}

/**
 * What the change the person just made did (`/account?done=name`, after the form's redirect): said at
 * once (role="alert"), and where the keyboard focus goes, as a refusal's message takes it. The submit
 * button is disabled while the form is sent, which drops the focus to the top of the page, and a form
 * posted without JavaScript comes back as a new page, focused at its top: without this, a keyboard
 * user was left at the page's first link, sections away from the form and the message. Drawn by the
 * server it carries `autofocus` (for the page load); on the client, the effect moves the focus, unless
 * the person is typing in a field meanwhile.
 */
export function Notice({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const drawnByServer = useDrawnByServer();
  useEffect(() => {
    if (document.activeElement?.matches("input, select, textarea")) return;
    ref.current?.focus();
  }, []);
  return (
    <Alert ref={ref} tone="info" tabIndex={-1} autoFocus={drawnByServer}>
      {children}
    </Alert>
  );
}

/**
 * What every form starts with: the refusal, if the last post was refused, and the CSRF field —
 * with the token the refusal brought, which replaces the page's when the session was just made.
 */
export function FormProblem({ error, csrf }: { error: Refused | undefined; csrf: string }) {
  return (
    <>
      {error && <RefusalAlert key={error.id}>{error.message}</RefusalAlert>}
      <CsrfField token={error?.csrf ?? csrf} />
    </>
  );
}

/** An email address field: no capitals or spelling fixes forced on it, the last value kept on a refusal. */
export function EmailField({
  error,
  ...props
}: Omit<ComponentProps<typeof TextField>, "type" | "error"> & { error: Refused | undefined }) {
  return (
    <TextField
      type="email"
      autoCapitalize="none"
      spellCheck={false}
      required
      defaultValue={error?.values?.email ?? ""}
      error={error?.fieldErrors?.email}
      {...props}
    />
  );
}
