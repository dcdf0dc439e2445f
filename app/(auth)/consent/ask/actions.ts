"use server";

import { z } from "zod";
import { checkbox, type FormState, formAction, repeated } from "@/lib/actions/action.ts";
import { answerFormPostWithStatus, navigate } from "@/lib/actions/navigation.ts";
import {
  acceptConsent,
  consentProblem,
  loadConsent,
  loggedRequestId,
  rejectConsent,
  sameAnswerGiven,
} from "@/lib/consent/decisions.ts";
import { consentId } from "@/lib/consent/ids.ts";
import { grants } from "@/lib/consent/index.ts";
import { scopesToGrant } from "@/lib/consent/scopes.ts";
import { signInNeeded } from "@/lib/consent/steps.ts";
import { HydraError } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { currentUser } from "@/lib/session/index.ts";

const decisionForm = z.object({
  consent: consentId,
  decision: z.enum(["allow", "deny"], "Choose Allow access or Deny"),
  scope: repeated,
  remember: checkbox,
});

/**
 * Allow or Deny. The request is fetched again rather than trusted from the
 * form: the granted scopes are the ticked ones among those it asked for, the
 * subject is the signed-in user, and the browser goes to its redirectUrl.
 * The same answer given twice by the same person (a form submitted twice)
 * leads on to the app both times.
 */
export const decideAction = formAction("consent", decisionForm, async (input): Promise<FormState> => {
  const user = await currentUser();
  if (!user) return navigate(`/login?consent=${encodeURIComponent(input.consent)}`);
  let redirectUrl: string;
  let grantScopes: string[] = [...new Set(input.scope)];
  try {
    const { request } = await loadConsent(input.consent);
    // The sign-in may have become too old for the request (max_age) while the screen was open.
    if (input.decision === "allow" && signInNeeded(request, user, true)) {
      return navigate(`/login?consent=${encodeURIComponent(input.consent)}`);
    }
    if (input.decision === "deny") {
      await rejectConsent(request);
      log().info("consent denied", { client: request.audience });
    } else {
      grantScopes = scopesToGrant(request.requestedScopes, input.scope);
      await acceptConsent(request, user, grantScopes);
      if (input.remember) await grants().remember(user.id, request.audience, grantScopes);
      log().info("consent given", {
        client: request.audience,
        scopes: grantScopes,
        remembered: input.remember,
      });
    }
    redirectUrl = request.redirectUrl;
  } catch (error) {
    if (error instanceof HydraError && error.code === "already_handled") {
      const answer =
        input.decision === "allow"
          ? { decision: "allow" as const, grantScopes }
          : { decision: "deny" as const };
      const onward = await sameAnswerGiven(input.consent, user, answer);
      if (onward) {
        log().info("the same consent answer was given again; leading on", {
          consent: loggedRequestId(input.consent),
        });
        return navigate(onward);
      }
    }
    const problem = consentProblem(error, input.consent);
    // The API failed (its database down: 503): a form posted without JavaScript says so in its status.
    if (problem.status) await answerFormPostWithStatus(problem.status);
    return { status: "error", code: problem.code, message: problemMessage(problem.code, problem.reference) };
  }
  return navigate(redirectUrl);
});

function problemMessage(code: string, reference: string): string {
  switch (code) {
    case "expired":
      return "This sign-in request has expired. Go back to the app and start again.";
    case "already_handled":
      return "This sign-in request was already answered. Go back to the app and start again.";
    case "not_found":
      return "This sign-in request no longer exists. Go back to the app and start again.";
    case "unreachable":
      return "We cannot reach the sign-in service right now. Please try again in a moment.";
    default:
      return `Something went wrong on our side. Please try again later (reference ${reference}).`;
  }
}
