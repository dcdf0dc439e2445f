"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction } from "@/lib/accounts/action.ts";
import type { FormState } from "@/lib/actions/action.ts";
import { log } from "@/lib/log/index.ts";
import { endOtherSessions, endSession } from "@/lib/session/index.ts";

/** Ends one of the person's other sessions, named by its public id. */
export const endSessionAction = accountAction(
  "end session",
  z.object({ sid: z.string().min(1).max(100) }),
  async (input, user): Promise<FormState> => {
    if (input.sid === user.sid) redirect("/account");
    if (await endSession(user.id, input.sid))
      log().info("session ended from the account page", { user: user.id });
    redirect("/account?done=session");
  },
);

/** Ends every session of the person but this browser's. */
export const endOtherSessionsAction = accountAction(
  "end other sessions",
  z.object({}),
  async (_input, user): Promise<FormState> => {
    const ended = await endOtherSessions(user.id, user.sid);
    log().info("other sessions ended from the account page", { user: user.id, ended });
    redirect("/account?done=sessions");
  },
);
