"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { accountService } from "@/lib/accounts/index.ts";
import { passwordProblem } from "@/lib/accounts/messages.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { log } from "@/lib/log/index.ts";
import { reportSessionsEnded } from "@/lib/logout/index.ts";
import { currentUser, signOut } from "@/lib/session/index.ts";
import { assessPassword, NEW_PASSWORD_MAX_LENGTH } from "@/lib/users/password-policy.ts";

const resetForm = z.object({
  token: z.string().max(200),
  password: z
    .string()
    .min(1, "Choose a password")
    .max(NEW_PASSWORD_MAX_LENGTH, "Use at most 128 characters."),
});

/** Sets the new password from a reset link, then sends the person to sign in with it. */
export const resetPasswordAction = formAction(
  "reset password",
  resetForm,
  async (input): Promise<FormState> => {
    const service = accountService();
    const link = await service.inspectResetLink(input.token);
    if (!link.ok) redirect(`/reset-password?problem=${link.problem}`);
    const problem = passwordProblem(await assessPassword(input.password, [link.user.email, link.user.name]));
    if (problem) {
      return {
        status: "error",
        code: "invalid",
        message: "Please choose a stronger password.",
        fieldErrors: { password: problem },
      };
    }
    const outcome = await service.resetPassword(input.token, input.password);
    if (!outcome.ok) redirect(`/reset-password?problem=${outcome.problem}`);
    // This browser signs in afresh with the new password. Someone else signed in here (the reset ended
    // every session of the link's person, and told their apps) loses their session too: their apps are told.
    const signedIn = await currentUser();
    if (signedIn && signedIn.id !== outcome.user.id) reportSessionsEnded({ sid: signedIn.sid });
    await signOut();
    log().info("password reset", { user: outcome.user.id });
    redirect("/login?reset=1");
  },
);
