"use server";

import { z } from "zod";
import { signInFailureMessage, stepProblemMessage } from "@/app/(auth)/messages.ts";
import { checkbox, type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { appConfig } from "@/lib/config/index.ts";
import { acceptLogin, cancelLogin, stepProblem } from "@/lib/consent/hydra2.ts";
import { challenge } from "@/lib/consent/ids.ts";
import { log } from "@/lib/log/index.ts";
import { clientAddress } from "@/lib/security/client-address.ts";
import { authenticate } from "@/lib/users/authenticate.ts";
import { emailAddress } from "@/lib/users/email.ts";
import { PASSWORD_MAX_LENGTH } from "@/lib/users/passwords.ts";

const signInForm = z.object({
  email: emailAddress,
  password: z.string().min(1, "Enter your password").max(PASSWORD_MAX_LENGTH, "That password is too long"),
  remember: checkbox,
  login_challenge: challenge,
});

/**
 * Sign-in for a Hydra 2.x login request: the same password check and
 * throttling as every sign-in here, then Hydra hears who signed in (the
 * subject is the person's id, never a form field) and whether to remember
 * them. No session of this app starts: Hydra keeps the login.
 */
export const signInHydra2Action = formAction(
  "sign in (hydra 2.x)",
  signInForm,
  async (input, { headers }): Promise<FormState> => {
    const address = clientAddress(headers, appConfig().trustedProxies);
    const outcome = await authenticate(input.email, input.password, address);
    if (!outcome.ok) {
      return {
        status: "error",
        code: outcome.code,
        message: signInFailureMessage(outcome),
        values: { email: input.email, remember: input.remember ? "on" : "" },
      };
    }
    let next: string;
    try {
      next = await acceptLogin(input.login_challenge, outcome.user.id, input.remember);
    } catch (error) {
      const problem = stepProblem(error, input.login_challenge);
      return {
        status: "error",
        code: problem.code,
        message: stepProblemMessage(problem.code, problem.reference),
      };
    }
    log().info("signed in for a Hydra 2.x login request", { remembered: input.remember });
    return navigate(next);
  },
);

/** "Cancel": the app that asked hears access_denied. */
export const cancelSignInHydra2Action = formAction(
  "cancel sign-in (hydra 2.x)",
  z.object({ login_challenge: challenge }),
  async (input): Promise<FormState> => {
    let next: string;
    try {
      next = await cancelLogin(input.login_challenge);
    } catch (error) {
      const problem = stepProblem(error, input.login_challenge);
      return {
        status: "error",
        code: problem.code,
        message: stepProblemMessage(problem.code, problem.reference),
      };
    }
    return navigate(next);
  },
);
