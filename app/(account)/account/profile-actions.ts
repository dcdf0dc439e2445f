"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { signInFailureMessage, WRONG_CREDENTIALS } from "@/app/(auth)/messages.ts";
import { accountAction } from "@/lib/accounts/action.ts";
import { accountService } from "@/lib/accounts/index.ts";
import { mailFailureMessage, passwordProblem } from "@/lib/accounts/messages.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { appConfig } from "@/lib/config/index.ts";
import { log } from "@/lib/log/index.ts";
import { clientAddress } from "@/lib/security/client-address.ts";
import { currentUser, signIn } from "@/lib/session/index.ts";
import { authenticate } from "@/lib/users/authenticate.ts";
import { emailAddress } from "@/lib/users/email.ts";
import { personName } from "@/lib/users/names.ts";
import { assessPassword, NEW_PASSWORD_MAX_LENGTH } from "@/lib/users/password-policy.ts";
import { PASSWORD_MAX_LENGTH } from "@/lib/users/passwords.ts";

const currentPassword = z
  .string()
  .min(1, "Enter your current password")
  .max(PASSWORD_MAX_LENGTH, "That password is too long");

/**
 * "Confirm it's you": the password again, throttled like a sign-in, which
 * renews the sign-in time so that the account can be changed for the next
 * 10 minutes.
 */
export const confirmPasswordAction = formAction(
  "confirm password",
  z.object({ password: currentPassword }),
  async (input, { headers }): Promise<FormState> => {
    const user = await currentUser();
    if (!user) return navigate("/login?next=/account");
    const outcome = await authenticate(
      user.email,
      input.password,
      clientAddress(headers, appConfig().trustedProxies),
    );
    if (!outcome.ok) {
      return { status: "error", code: outcome.code, message: signInFailureMessage(outcome) };
    }
    // A new session record with a new sign-in time; this browser's old one ends. Refused when the
    // password changed since it was checked (elsewhere, meanwhile), as a wrong password is.
    if (!(await signIn(user.id, { persistent: user.persistent, passwordHash: outcome.passwordHash }))) {
      return { status: "error", code: "invalid_credentials", message: WRONG_CREDENTIALS };
    }
    log().info("password confirmed for account changes", { user: user.id });
    redirect("/account?done=confirmed");
  },
);

export const changeNameAction = accountAction(
  "change name",
  z.object({ name: personName }),
  async (input, user): Promise<FormState> => {
    await accountService().changeName(user.id, input.name);
    log().info("name changed", { user: user.id });
    redirect("/account?done=name");
  },
);

/** Sends a link to the new address; nothing changes until it is followed. */
export const changeEmailAction = accountAction(
  "change email",
  z.object({ email: emailAddress }),
  async (input, user, { headers }): Promise<FormState> => {
    if (input.email === user.email) {
      return {
        status: "error",
        code: "invalid",
        message: "Please correct the highlighted fields.",
        fieldErrors: { email: "That is already your email address." },
        values: input,
      };
    }
    const outcome = await accountService().requestEmailChange(
      user,
      input.email,
      clientAddress(headers, appConfig().trustedProxies),
    );
    if (!outcome.ok) {
      return { status: "error", code: outcome.code, message: mailFailureMessage(outcome), values: input };
    }
    log().info("change of email address requested", { user: user.id });
    redirect("/account?done=email");
  },
);

export const resendVerificationAction = accountAction(
  "resend verification",
  z.object({}),
  async (_input, user, { headers }): Promise<FormState> => {
    if (user.emailVerifiedAt) redirect("/account");
    const outcome = await accountService().resendVerification(
      user,
      clientAddress(headers, appConfig().trustedProxies),
    );
    if (!outcome.ok) return { status: "error", code: outcome.code, message: mailFailureMessage(outcome) };
    redirect("/account?done=verification");
  },
);

export const changePasswordAction = accountAction(
  "change password",
  z.object({
    current: currentPassword,
    password: z
      .string()
      .min(1, "Choose a new password")
      .max(NEW_PASSWORD_MAX_LENGTH, `Use at most ${NEW_PASSWORD_MAX_LENGTH} characters.`),
  }),
  async (input, user, { headers }): Promise<FormState> => {
    const address = clientAddress(headers, appConfig().trustedProxies);
    const check = await authenticate(user.email, input.current, address);
    if (!check.ok) {
      return {
        status: "error",
        code: check.code,
        message:
          check.code === "throttled" ? signInFailureMessage(check) : "Please correct the highlighted fields.",
        fieldErrors: { current: "That is not your current password." },
      };
    }
    const problem = passwordProblem(await assessPassword(input.password, [user.email, user.name]));
    if (problem) {
      return {
        status: "error",
        code: "invalid",
        message: "Please choose a stronger password.",
        fieldErrors: { password: problem },
      };
    }
    await accountService().setPassword(user.id, input.password, user.sid);
    log().info("password changed", { user: user.id });
    redirect("/account?done=password");
  },
);
