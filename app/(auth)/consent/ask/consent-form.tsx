"use client";

import { useActionState } from "react";
import { signOutAction } from "@/app/(auth)/actions.ts";
import { RefusalAlert } from "@/components/action-form.tsx";
import { ClientLogo } from "@/components/client-logo.tsx";
import { Button, Card, Checkbox, CsrfField, ExternalLink, PageTitle } from "@/components/ui.tsx";
import { useNavigation } from "@/components/use-navigation.ts";
import { WayBackLink } from "@/components/way-back-link.tsx";
import { type FormState, IDLE } from "@/lib/actions/state.ts";
import type { ScopeDescription } from "@/lib/consent/scopes.ts";
import { wayBackTo } from "@/lib/consent/way-back.ts";
import type { OAuth2Client } from "@/lib/hydra/schemas.ts";
import { decideAction } from "./actions.ts";
import { decideHydra2Action } from "./hydra2-actions.ts";

interface Props {
  csrf: string;
  /** The 2017 consent request's id, or with `hydra2` the Hydra 2.x consent challenge. */
  consent: string;
  /** A Hydra 2.x consent request: Hydra fixed the person, so there is no "Not you?". */
  hydra2?: boolean;
  client: OAuth2Client;
  user: { email: string; name: string };
  scopes: ScopeDescription[];
}

export function ConsentForm({ csrf, consent, hydra2 = false, client, user, scopes }: Props) {
  const [state, action, pending] = useActionState<FormState, FormData>(
    hydra2 ? decideHydra2Action : decideAction,
    IDLE,
  );
  const [signOutState, signOut] = useActionState<FormState, FormData>(signOutAction, IDLE);
  useNavigation(state);
  useNavigation(signOutState);
  const appName = client.client_name || client.id;
  const token = (state.status === "error" && state.csrf) || csrf;
  const signOutError = signOutState.status === "error" ? signOutState : undefined;
  // Answered meanwhile (another tab, a second post with another answer): the way back to this app,
  // as the answered-request page offers it.
  const backTo = state.status === "error" && state.code === "already_handled" ? wayBackTo(client) : undefined;

  return (
    <Card>
      <PageTitle>Allow access?</PageTitle>
      <div className="flex flex-col items-center text-center">
        <ClientLogo logoUri={client.logo_uri} name={appName} alt={`${appName} logo`} size="large" />
        <h1 className="mt-4 text-xl font-semibold tracking-tight text-balance sm:text-2xl">
          <span className="text-brand">{appName}</span> wants to access your account
        </h1>
        {client.client_uri && (
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            <ExternalLink href={client.client_uri}>{new URL(client.client_uri).host}</ExternalLink>
          </p>
        )}
      </div>

      <div className="mt-6 flex flex-wrap items-center justify-between gap-3 rounded-lg bg-slate-50 px-4 py-3 text-sm dark:bg-slate-800/60">
        <p className="min-w-0">
          <span className="block text-slate-600 dark:text-slate-400">Signed in as</span>
          {/* In full, wrapped if need be: cut short, two accounts that begin alike look the same. */}
          <span className="block font-medium">{user.email}</span>
        </p>
        {!hydra2 && (
          <form action={signOut} className={signOutError ? "w-full space-y-2" : "shrink-0"}>
            {/* Refused (this page's session ended or changed in another tab): said, with a fresh token. */}
            {signOutError && <RefusalAlert key={signOutError.id}>{signOutError.message}</RefusalAlert>}
            <CsrfField token={signOutError?.csrf ?? csrf} />
            <input type="hidden" name="consent" value={consent} />
            <Button type="submit" variant="quiet" className="min-h-6 px-0 py-0 whitespace-nowrap">
              Not you?
            </Button>
          </form>
        )}
      </div>

      <form
        action={action}
        className="mt-6"
        aria-describedby={state.status === "error" ? "consent-error" : undefined}
      >
        {state.status === "error" && (
          <div className="mb-4">
            <RefusalAlert key={state.id} id="consent-error">
              {state.message}
              {backTo && (
                <div className="mt-3 flex">
                  <WayBackLink to={backTo} />
                </div>
              )}
            </RefusalAlert>
          </div>
        )}
        <CsrfField token={token} />
        <input type="hidden" name={hydra2 ? "consent_challenge" : "consent"} value={consent} />
        <fieldset>
          <legend className="text-sm font-medium">
            {scopes.length > 0 ? `${appName} is asking to:` : `${appName} is asking to sign you in.`}
          </legend>
          <ul className="mt-3 divide-y divide-slate-200 rounded-lg ring-1 ring-slate-200 dark:divide-slate-700 dark:ring-slate-700">
            {scopes.map((scope) => (
              <li key={scope.scope} className="flex items-start gap-3 px-4 py-3">
                {/* Named by what it shows first, the plain title, then the scope (WCAG 2.5.3: a
                    person who says "click Stay connected" must find it); the explanation describes. */}
                <input
                  id={`scope-${scope.scope}`}
                  type="checkbox"
                  name="scope"
                  value={scope.scope}
                  defaultChecked
                  aria-labelledby={
                    scope.title === scope.scope
                      ? `scope-${scope.scope}-title`
                      : `scope-${scope.scope}-title scope-${scope.scope}-name`
                  }
                  aria-describedby={scope.description ? `scope-${scope.scope}-description` : undefined}
                  className="mt-1 size-4 shrink-0 accent-brand"
                />
                <label htmlFor={`scope-${scope.scope}`} className="min-w-0 flex-1 text-sm">
                  <span className="block">
                    <span id={`scope-${scope.scope}-title`} className="font-medium">
                      {scope.title}
                    </span>
                    {scope.description && (
                      <span
                        id={`scope-${scope.scope}-description`}
                        className="block text-slate-600 dark:text-slate-400"
                      >
                        {scope.description}
                      </span>
                    )}
                  </span>
                  <code
                    id={`scope-${scope.scope}-name`}
                    className="mt-1 inline-block rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-300"
                  >
                    {scope.scope}
                  </code>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>

        <div className="mt-5">
          <Checkbox
            name="remember"
            label="Remember my decision"
            description={`Next time, let ${appName} in without asking, for these permissions. You can revoke this on your account page.`}
          />
        </div>

        {(client.policy_uri || client.tos_uri) && (
          <p className="mt-5 text-xs text-slate-600 dark:text-slate-400">
            Before you allow access, read {appName}'s{" "}
            {client.policy_uri && <ExternalLink href={client.policy_uri}>privacy policy</ExternalLink>}
            {client.policy_uri && client.tos_uri && " and "}
            {client.tos_uri && <ExternalLink href={client.tos_uri}>terms of service</ExternalLink>}.
          </p>
        )}

        <div className="mt-6 grid grid-cols-1 gap-3 sm:grid-cols-2">
          {/* Allow comes first: pressing Enter submits with the first button. */}
          <Button type="submit" name="decision" value="allow" disabled={pending}>
            Allow access
          </Button>
          <Button type="submit" name="decision" value="deny" variant="secondary" disabled={pending}>
            Deny
          </Button>
        </div>
      </form>
    </Card>
  );
}
