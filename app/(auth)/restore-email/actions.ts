"use server";

import { redirect } from "next/navigation";
import { newPasswordLinkForm, signOutThisBrowser, weakPasswordAnswer } from "@/app/(auth)/new-password.ts";
import { accountService } from "@/lib/accounts/index.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { log } from "@/lib/log/index.ts";

/**
 * "This wasn't me": puts the old address back from the link mailed to it, with a new password (whoever
 * changed the address may know the old one), and signs out everywhere.
 */
export const restoreEmailAction = formAction(
  "restore email",
  newPasswordLinkForm,
  async (input): Promise<FormState> => {
    const service = accountService();
    const link = await service.inspectRestoreLink(input.token);
    if (!link.ok) redirect(`/restore-email?problem=${link.problem}`);
    const weak = await weakPasswordAnswer(input.password, [link.email, link.user.name]);
    if (weak) return weak;
    const outcome = await service.restoreEmail(input.token, input.password);
    if (!outcome.ok) redirect(`/restore-email?problem=${outcome.problem}`);
    // Every session of the person ended (and their apps were told).
    await signOutThisBrowser(outcome.user.id);
    log().info("change of email address undone", { user: outcome.user.id });
    redirect("/restore-email?done=1");
  },
);
