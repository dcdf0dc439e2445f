"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { accountService } from "@/lib/accounts/index.ts";
import { mailFailureMessage, passwordProblem } from "@/lib/accounts/messages.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { appConfig } from "@/lib/config/index.ts";
import { consentId } from "@/lib/consent/ids.ts";
import { log } from "@/lib/log/index.ts";
import { clientAddress } from "@/lib/security/client-address.ts";
import { emailAddress } from "@/lib/users/email.ts";
import { personName } from "@/lib/users/names.ts";
import { assessPassword, NEW_PASSWORD_MAX_LENGTH } from "@/lib/users/password-policy.ts";

const signUpForm = z.object({
  name: personName,
  email: emailAddress,
  password: z
    .string()
    .min(1, "Choose a password")
    .max(NEW_PASSWORD_MAX_LENGTH, `Use at most ${NEW_PASSWORD_MAX_LENGTH} characters.`),
  consent: consentId.optional(),
});

/**
 * Sign-up. The answer is "check your inbox" whether or not the address has
 * an account (the inbox then says which); only a refused password, a
 * throttled request or a mail server that is down is answered here.
 */
export const signUpAction = formAction(
  "sign up",
  signUpForm,
  async (input, { headers }): Promise<FormState> => {
    const values = { name: input.name, email: input.email };
    if (appConfig().signup !== "open") {
      return { status: "error", code: "closed", message: "Sign-up is closed.", values };
    }
    const problem = passwordProblem(await assessPassword(input.password, [input.email, input.name]));
    if (problem) {
      return {
        status: "error",
        code: "invalid",
        message: "Please choose a stronger password.",
        fieldErrors: { password: problem },
        values,
      };
    }
    const outcome = await accountService().signUp(input, clientAddress(headers, appConfig().trustedProxies));
    if (!outcome.ok)
      return { status: "error", code: outcome.code, message: mailFailureMessage(outcome), values };
    log().info("sign-up answered: check your inbox");
    const continuation = input.consent ? `&consent=${encodeURIComponent(input.consent)}` : "";
    redirect(`/check-inbox?for=signup${continuation}`);
  },
);
