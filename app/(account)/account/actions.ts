"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { grants } from "@/lib/consent/index.ts";
import { HydraError, hydra } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { currentUser } from "@/lib/session/index.ts";

/**
 * Revokes an app: the server revokes every token and grant the signed-in
 * person gave it (so its refresh tokens stop working at once), then the
 * remembered decision is forgotten and the app asks again next time.
 */
export const revokeAction = formAction(
  "revoke app",
  z.object({ grant: z.uuid("Unknown decision") }),
  async (input): Promise<FormState> => {
    const user = await currentUser();
    if (!user) return navigate("/login?next=/account");
    const grant = await grants().get(user.id, input.grant);
    if (grant) {
      try {
        await hydra().revokeSubjectGrants(user.id, grant.clientId);
      } catch (error) {
        if (!(error instanceof HydraError)) throw error;
        log().warn("revoking an app's tokens failed", { client: grant.clientId, code: error.code });
        return {
          status: "error",
          code: "unreachable",
          message: "We could not revoke the app's access right now. Please try again in a moment.",
        };
      }
      await grants().revoke(user.id, grant.id);
      log().info("app revoked", { client: grant.clientId });
    }
    revalidatePath("/account");
    return { status: "idle" };
  },
);
