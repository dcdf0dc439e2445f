"use server";

import { redirect } from "next/navigation";
import { newPasswordLinkForm, signOutThisBrowser, weakPasswordAnswer } from "@/app/(auth)/new-password.ts";
import { accountService } from "@/lib/accounts/index.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { log } from "@/lib/log/index.ts";

/** Sets the new password from a reset link, then sends the person to sign in with it. */
export const resetPasswordAction = formAction(
  "reset password",
  newPasswordLinkForm,
  async (input): Promise<FormState> => {
    const service = accountService();
    const link = await service.inspectResetLink(input.token);
    if (!link.ok) redirect(`/reset-password?problem=${link.problem}`);
    const weak = await weakPasswordAnswer(input.password, [link.user.email, link.user.name]);
    if (weak) return weak;
    const outcome = await service.resetPassword(input.token, input.password);
    if (!outcome.ok) redirect(`/reset-password?problem=${outcome.problem}`);
    // The reset ended every session of the link's person (and told their apps).
    await signOutThisBrowser(outcome.user.id);
    log().info("password reset", { user: outcome.user.id });
    redirect("/login?reset=1");
  },
);
