"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction } from "@/lib/accounts/action.ts";
import type { FormState } from "@/lib/actions/action.ts";
import { log } from "@/lib/log/index.ts";
import { signOut } from "@/lib/session/index.ts";
import { normalizeEmail } from "@/lib/users/email.ts";
import { deleteUserEverywhere } from "@/lib/users/index.ts";

/**
 * Deletes the signed-in person for good, once they typed their email address
 * to confirm: the person, their remembered decisions, sessions and pending
 * links here, and, through the authorization server's admin API, every token
 * they gave an app.
 */
export const deleteAccountAction = accountAction(
  "delete account",
  z.object({ confirmation: z.string().max(320) }),
  async (input, user): Promise<FormState> => {
    if (normalizeEmail(input.confirmation) !== user.email) {
      return {
        status: "error",
        code: "invalid",
        message: "Please correct the highlighted fields.",
        fieldErrors: { confirmation: "That is not the email address of this account." },
      };
    }
    await deleteUserEverywhere(user.id);
    await signOut();
    log().info("account deleted by its owner", { user: user.id });
    redirect("/login?deleted=1");
  },
);
