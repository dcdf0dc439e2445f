"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { consentId } from "@/lib/consent/ids.ts";
import { HydraError, hydra } from "@/lib/hydra/index.ts";
import { finishLogout, SIGNED_OUT_PAGE } from "@/lib/logout/index.ts";
import { currentUser } from "@/lib/session/index.ts";

/** "Sign out" on the confirmation page: the request is fetched again, never trusted from the form. */
export const confirmSignOutAction = formAction(
  "confirm sign-out",
  z.object({ logout: consentId }),
  async (input): Promise<FormState> => {
    let next: string;
    try {
      const request = await hydra().getLogoutRequest(input.logout);
      next = await finishLogout(request, await currentUser());
    } catch (error) {
      if (!(error instanceof HydraError)) throw error;
      return {
        status: "error",
        code: error.code,
        message:
          error.code === "already_handled" || error.code === "not_found" || error.code === "expired"
            ? "This sign-out request was already used or has expired. Go back to the app and start again."
            : "We cannot complete the sign-out right now. Please try again in a moment.",
      };
    }
    // A page of this app takes a plain redirect; the server's return URL needs a full page load.
    if (next === SIGNED_OUT_PAGE) redirect(next);
    return navigate(next);
  },
);
