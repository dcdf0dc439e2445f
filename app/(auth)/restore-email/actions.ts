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

const restoreForm = z.object({
  token: z.string().max(200),
  password: z
    .string()
    .min(1, "Choose a password")
    .max(NEW_PASSWORD_MAX_LENGTH, "Use at most 128 characters."),
});

/**
 * "This wasn't me": puts the old address back from the link mailed to it, with a new password (whoever
 * changed the address may know the old one), and signs out everywhere.
 */
export const restoreEmailAction = formAction(
  "restore email",
  restoreForm,
  async (input): Promise<FormState> => {
    const service = accountService();
    const link = await service.inspectRestoreLink(input.token);
    if (!link.ok) redirect(`/restore-email?problem=${link.problem}`);
    const problem = passwordProblem(await assessPassword(input.password, [link.email, link.user.name]));
    if (problem) {
      return {
        status: "error",
        code: "invalid",
        message: "Please choose a stronger password.",
        fieldErrors: { password: problem },
      };
    }
    const outcome = await service.restoreEmail(input.token, input.password);
    if (!outcome.ok) redirect(`/restore-email?problem=${outcome.problem}`);
    // Every session of the person ended (and their apps were told). This browser signs in afresh;
    // someone else signed in here loses their session too, and their apps are told, as after a reset.
    const signedIn = await currentUser();
    if (signedIn && signedIn.id !== outcome.user.id) reportSessionsEnded({ sid: signedIn.sid });
    await signOut();
    log().info("change of email address undone", { user: outcome.user.id });
    redirect("/restore-email?done=1");
  },
);
