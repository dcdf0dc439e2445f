"use server";

import { z } from "zod";
import { checkCredentials, credentialFields } from "@/app/(auth)/credentials.ts";
import { stepProblemMessage } from "@/app/(auth)/messages.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { answerFormPostWithStatus, navigate } from "@/lib/actions/navigation.ts";
import { acceptLogin, cancelLogin, stepProblem } from "@/lib/consent/hydra2.ts";
import { challenge } from "@/lib/consent/ids.ts";
import { log } from "@/lib/log/index.ts";

const signInForm = z.object({ ...credentialFields, login_challenge: challenge });

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
    const checked = await checkCredentials(input, headers);
    if ("refused" in checked) return checked.refused;
    let next: string;
    try {
      next = await acceptLogin(
        input.login_challenge,
        checked.userId,
        input.remember ? "persistent" : "browser",
      );
    } catch (error) {
      const problem = stepProblem(error, input.login_challenge);
      // The API failed (its database down: 503): a form posted without JavaScript says so in its status.
      if (problem.status) await answerFormPostWithStatus(problem.status);
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
      // The API failed (its database down: 503): a form posted without JavaScript says so in its status.
      if (problem.status) await answerFormPostWithStatus(problem.status);
      return {
        status: "error",
        code: problem.code,
        message: stepProblemMessage(problem.code, problem.reference),
      };
    }
    return navigate(next);
  },
);
