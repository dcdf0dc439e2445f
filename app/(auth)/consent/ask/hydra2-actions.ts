"use server";

import { z } from "zod";
import { stepProblemMessage } from "@/app/(auth)/messages.ts";
import { checkbox, type FormState, formAction, repeated } from "@/lib/actions/action.ts";
import { answerFormPostWithStatus, navigate } from "@/lib/actions/navigation.ts";
import { acceptHydraConsent, denyHydraConsent, loadHydraConsent, stepProblem } from "@/lib/consent/hydra2.ts";
import { challenge } from "@/lib/consent/ids.ts";
import { log } from "@/lib/log/index.ts";

const decisionForm = z.object({
  consent_challenge: challenge,
  decision: z.enum(["allow", "deny"], "Choose Allow access or Deny"),
  scope: repeated,
  remember: checkbox,
});

/**
 * Allow or Deny for a Hydra 2.x consent request. The request is fetched
 * again rather than trusted from the form: the subject is Hydra's, the
 * scopes the ticked ones among those it asked for.
 */
export const decideHydra2Action = formAction(
  "consent (hydra 2.x)",
  decisionForm,
  async (input): Promise<FormState> => {
    let next: string;
    try {
      if (input.decision === "deny") {
        next = await denyHydraConsent(input.consent_challenge);
        log().info("consent denied (hydra 2.x)");
      } else {
        const pending = await loadHydraConsent(input.consent_challenge);
        next = await acceptHydraConsent(pending, input.scope, input.remember);
        log().info("consent given (hydra 2.x)", {
          client: pending.request.client.id,
          remembered: input.remember,
        });
      }
    } catch (error) {
      const problem = stepProblem(error, input.consent_challenge);
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
