"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { consentId } from "@/lib/consent/ids.ts";
import { reportSessionsEnded } from "@/lib/logout/index.ts";
import { localReturnPath } from "@/lib/security/redirects.ts";
import { currentUser, signIn, signOut } from "@/lib/session/index.ts";
import { checkCredentials, credentialFields } from "./credentials.ts";
import { WRONG_CREDENTIALS } from "./messages.ts";

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

const signInForm = z.object({ ...credentialFields, ...destination });

export const signInAction = formAction(
  "sign in",
  signInForm,
  async (input, { headers }): Promise<FormState> => {
    const checked = await checkCredentials(input, headers);
    if ("refused" in checked) return checked.refused;
    const signedIn = await signIn(checked.userId, {
      persistent: input.remember,
      forRequest: input.consent,
      passwordHash: checked.passwordHash,
    });
    // The password changed since it was checked: it is no longer the account's.
    if (!signedIn) {
      return {
        status: "error",
        code: "invalid_credentials",
        message: WRONG_CREDENTIALS,
        values: { email: input.email, remember: input.remember ? "on" : "" },
      };
    }
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
