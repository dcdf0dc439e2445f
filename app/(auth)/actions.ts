"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { checkbox, type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { appConfig } from "@/lib/config/index.ts";
import { consentId } from "@/lib/consent/ids.ts";
import { reportSessionsEnded } from "@/lib/logout/index.ts";
import { clientAddress } from "@/lib/security/client-address.ts";
import { localReturnPath } from "@/lib/security/redirects.ts";
import { currentUser, signIn, signOut } from "@/lib/session/index.ts";
import { authenticate } from "@/lib/users/authenticate.ts";
import { emailAddress } from "@/lib/users/email.ts";
import { PASSWORD_MAX_LENGTH } from "@/lib/users/passwords.ts";
import { signInFailureMessage } from "./messages.ts";

/** Where to go once signed in (or out): back to the consent request, a local page, or the account. */
const destination = {
  consent: consentId.optional(),
  next: z
    .string()
    .optional()
    .transform((value) => localReturnPath(value)),
};

function destinationUrl(input: { consent?: string; next?: string }, fallback: string): string {
  if (input.consent) return `/consent?consent=${encodeURIComponent(input.consent)}`;
  return input.next ?? fallback;
}

const signInForm = z.object({
  email: emailAddress,
  password: z.string().min(1, "Enter your password").max(PASSWORD_MAX_LENGTH, "That password is too long"),
  remember: checkbox,
  ...destination,
});

export const signInAction = formAction(
  "sign in",
  signInForm,
  async (input, { headers }): Promise<FormState> => {
    const address = clientAddress(headers, appConfig().trustedProxies);
    const outcome = await authenticate(input.email, input.password, address);
    if (!outcome.ok) {
      return {
        status: "error",
        code: outcome.code,
        message: signInFailureMessage(outcome),
        values: { email: input.email, remember: input.remember ? "on" : "" },
      };
    }
    await signIn(outcome.user.id, input.remember, ["pwd"], input.consent);
    return navigate(destinationUrl(input, "/account"));
  },
);

/**
 * Signs out and shows the sign-in page: a page of this app without side effects, so a plain redirect.
 * The server hears of the ended session, so the apps it signed in to are told (back-channel logout).
 */
export const signOutAction = formAction("sign out", z.object(destination), async (input) => {
  const user = await currentUser();
  if (user) reportSessionsEnded({ sid: user.sid });
  await signOut();
  redirect(input.consent ? `/login?consent=${encodeURIComponent(input.consent)}` : "/login?signed_out=1");
});
