"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { accountService } from "@/lib/accounts/index.ts";
import { mailFailureMessage } from "@/lib/accounts/messages.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { appConfig } from "@/lib/config/index.ts";
import { clientAddress } from "@/lib/security/client-address.ts";
import { emailAddress } from "@/lib/users/email.ts";

/** "Forgot password?": the same answer whether or not the address has an account. */
export const forgotPasswordAction = formAction(
  "forgot password",
  z.object({ email: emailAddress }),
  async (input, { headers }): Promise<FormState> => {
    const address = clientAddress(headers, appConfig().trustedProxies);
    const outcome = await accountService().requestPasswordReset(input.email, address);
    if (!outcome.ok) {
      return { status: "error", code: outcome.code, message: mailFailureMessage(outcome), values: input };
    }
    redirect("/check-inbox?for=reset");
  },
);
