import "server-only";
import { z } from "zod";
import { passwordProblem } from "@/lib/accounts/messages.ts";
import type { FormState } from "@/lib/actions/action.ts";
import { reportSessionsEnded } from "@/lib/logout/index.ts";
import { currentUser, signOut } from "@/lib/session/index.ts";
import { assessPassword, NEW_PASSWORD_MAX_LENGTH } from "@/lib/users/password-policy.ts";

/**
 * What the pages of a mailed link that ends in a new password share (a
 * password reset, the undo of a change of address): the form, the password
 * rules, and signing this browser out afterwards.
 */
export const newPasswordLinkForm = z.object({
  token: z.string().max(200),
  password: z
    .string()
    .min(1, "Choose a password")
    .max(NEW_PASSWORD_MAX_LENGTH, `Use at most ${NEW_PASSWORD_MAX_LENGTH} characters.`),
});

/** The form's answer when the new password is too weak for the account (`context`: its email, name); none when it will do. */
export async function weakPasswordAnswer(
  password: string,
  context: string[],
): Promise<FormState | undefined> {
  const problem = passwordProblem(await assessPassword(password, context));
  if (!problem) return undefined;
  return {
    status: "error",
    code: "invalid",
    message: "Please choose a stronger password.",
    fieldErrors: { password: problem },
  };
}

/**
 * After the link ended every session of its person (and told their apps):
 * this browser signs in afresh. Someone else signed in here loses their
 * session too, and their apps are told.
 */
export async function signOutThisBrowser(userId: string): Promise<void> {
  const signedIn = await currentUser();
  if (signedIn && signedIn.id !== userId) reportSessionsEnded({ sid: signedIn.sid });
  await signOut();
}
