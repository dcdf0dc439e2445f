"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { accountService } from "@/lib/accounts/index.ts";
import { formAction } from "@/lib/actions/action.ts";
import { log } from "@/lib/log/index.ts";

/** Confirms an address from a mailed link: a new account's, or a new one for an existing account. */
export const confirmEmailAction = formAction(
  "confirm email",
  z.object({ token: z.string().max(200) }),
  async (input) => {
    const outcome = await accountService().confirmEmail(input.token);
    if (!outcome.ok) redirect(`/verify-email?problem=${outcome.problem}`);
    log().info("email address confirmed", { user: outcome.user.id });
    redirect("/verify-email?done=1");
  },
);
