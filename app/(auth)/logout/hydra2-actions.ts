"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { stepProblemMessage } from "@/app/(auth)/messages.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { acceptHydraLogout, loadHydraLogout, rejectHydraLogout, stepProblem } from "@/lib/consent/hydra2.ts";
import { challenge } from "@/lib/consent/ids.ts";
import { log } from "@/lib/log/index.ts";
import { currentUser, signOut } from "@/lib/session/index.ts";

/**
 * "Sign out" or "Stay signed in" for a Hydra 2.x logout request. Signing
 * out, Hydra ends its login session (and tells the apps); a session of this
 * app's own pages for the same person ends too. Staying, Hydra is told so
 * and the person goes to their account page.
 */
export const confirmHydra2SignOutAction = formAction(
  "confirm sign-out (hydra 2.x)",
  z.object({ logout_challenge: challenge, decision: z.enum(["sign_out", "stay"]) }),
  async (input): Promise<FormState> => {
    let next: string;
    try {
      if (input.decision === "stay") {
        await rejectHydraLogout(input.logout_challenge);
        next = "/account";
      } else {
        const request = await loadHydraLogout(input.logout_challenge);
        next = await acceptHydraLogout(input.logout_challenge);
        const user = await currentUser();
        if (user && request.subject === user.id) await signOut();
        log().info("signed out at Hydra's request", { client: request.client?.id ?? null });
      }
    } catch (error) {
      const problem = stepProblem(error, input.logout_challenge);
      return {
        status: "error",
        code: problem.code,
        message: stepProblemMessage(problem.code, problem.reference),
      };
    }
    if (next === "/account") redirect(next);
    return navigate(next);
  },
);
