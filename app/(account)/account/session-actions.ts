"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { accountAction } from "@/lib/accounts/action.ts";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { log } from "@/lib/log/index.ts";
import { reportSessionsEnded } from "@/lib/logout/index.ts";
import {
  currentUser,
  endAllSessions,
  endOtherSessions,
  endSession,
  listSessions,
  signOut,
} from "@/lib/session/index.ts";

/** Ends one of the person's other sessions, named by its public id. */
export const endSessionAction = accountAction(
  "end session",
  z.object({ sid: z.string().min(1).max(100) }),
  async (input, user): Promise<FormState> => {
    if (input.sid === user.sid) redirect("/account");
    if (await endSession(user.id, input.sid)) {
      // The apps that session signed in to are told (back-channel logout).
      reportSessionsEnded({ sid: input.sid });
      log().info("session ended from the account page", { user: user.id });
    }
    redirect("/account?done=session");
  },
);

/** Ends every session of the person but this browser's. */
export const endOtherSessionsAction = accountAction(
  "end other sessions",
  z.object({}),
  async (_input, user): Promise<FormState> => {
    const others = (await listSessions(user.id)).filter((entry) => entry.sid !== user.sid);
    const ended = await endOtherSessions(user.id, user.sid);
    for (const entry of others) reportSessionsEnded({ sid: entry.sid });
    log().info("other sessions ended from the account page", { user: user.id, ended });
    redirect("/account?done=sessions");
  },
);

/**
 * "Sign out everywhere": every session of the person ends — remember-me ones
 * on other devices and this browser's too — and every app they signed in to
 * through any of them is told (back-channel logout, in the background).
 */
export const signOutEverywhereAction = formAction(
  "sign out everywhere",
  z.object({}),
  // Signing out needs no recent password, unlike the account's other changes: it only takes access away.
  async (): Promise<FormState> => {
    const user = await currentUser();
    if (!user) redirect("/login?signed_out=1");
    const ended = await endAllSessions(user.id);
    reportSessionsEnded({ subject: user.id });
    await signOut();
    log().info("signed out everywhere", { user: user.id, ended });
    redirect("/login?signed_out=1");
  },
);
