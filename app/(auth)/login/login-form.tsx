"use client";

import { useActionState } from "react";
import { signInAction } from "@/app/(auth)/actions.ts";
import { signInHydra2Action } from "@/app/(auth)/login/hydra2-actions.ts";
import { RefusalAlert } from "@/components/action-form.tsx";
import { Button, Checkbox, CsrfField, TextField } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { WayBackLink } from "@/components/way-back-link.tsx";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import type { WayBack } from "@/lib/consent/way-back.ts";
import { durationInWords } from "@/lib/format/duration.ts";
import { REMEMBER_ME_SECONDS } from "@/lib/session/lifetimes.ts";

/**
 * `email` prefills the field (login_hint, or the person who must sign in again); it proves nothing.
 * With `loginChallenge` the form answers a Hydra 2.x login request instead of signing in here;
 * `backTo` (the app that asked, see wayBackTo) is offered when the request was answered meanwhile.
 */
export function LoginForm({
  csrf,
  consent,
  loginChallenge,
  next,
  email,
  backTo,
}: {
  csrf: string;
  consent?: string;
  loginChallenge?: string;
  next?: string;
  email?: string;
  backTo?: WayBack;
}) {
  const [state, action, pending] = useActionState<FormState, FormData>(
    loginChallenge ? signInHydra2Action : signInAction,
    IDLE,
  );
  useNavigation(state);
  const error = state.status === "error" ? state : undefined;
  const formError = error?.message;
  // Answered meanwhile (another tab): the way back to the app, as the answered-request page and the
  // consent form's refusal offer it.
  const wayBack = error?.code === "already_handled" ? backTo : undefined;

  return (
    <form action={action} className="mt-6 space-y-5" aria-describedby={formError ? "login-error" : undefined}>
      {formError && (
        <RefusalAlert key={error?.id} id="login-error">
          {formError}
          {wayBack && (
            <div className="mt-3 flex">
              <WayBackLink to={wayBack} />
            </div>
          )}
        </RefusalAlert>
      )}
      <CsrfField token={error?.csrf ?? csrf} />
      {consent && <input type="hidden" name="consent" value={consent} />}
      {loginChallenge && <input type="hidden" name="login_challenge" value={loginChallenge} />}
      {next && <input type="hidden" name="next" value={next} />}
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        required
        defaultValue={error?.values?.email ?? email ?? ""}
        error={error?.fieldErrors?.email}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        error={error?.fieldErrors?.password}
      />
      <Checkbox
        label="Remember me"
        name="remember"
        description={`Stay signed in on this device for ${durationInWords(REMEMBER_ME_SECONDS)}.`}
        defaultChecked={error?.values?.remember === "on"}
      />
      <Button type="submit" className="w-full" disabled={pending} aria-busy={pending}>
        Sign in
      </Button>
    </form>
  );
}
