"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { grants } from "@/lib/consent/index.ts";
import { accountHydra, HydraError } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { currentUser } from "@/lib/session/index.ts";

/**
 * Revokes an app: the server revokes every token and grant the signed-in
 * person gave it (so its access and refresh tokens stop working at once, on
 * every instance), then the remembered decision is forgotten and the app
 * asks again next time. Only the person's own grants are ever touched: the
 * subject is theirs, never the form's.
 */
export const revokeAction = formAction(
  "revoke app",
  z.object({ client: z.string().min(1).max(255) }),
  async (input): Promise<FormState> => {
    const user = await currentUser();
    if (!user) return navigate("/login?next=/account");
    try {
      await accountHydra().revokeSubjectGrants(user.id, input.client);
    } catch (error) {
      if (!(error instanceof HydraError)) throw error;
      log().warn("revoking an app's tokens failed", { client: input.client, code: error.code });
      return {
        status: "error",
        code: "unreachable",
        message: "We could not revoke the app's access right now. Please try again in a moment.",
      };
    }
    const remembered = await grants().find(user.id, input.client);
    if (remembered) await grants().revoke(user.id, remembered.id);
    log().info("app revoked", { client: input.client });
    revalidatePath("/account");
    return { status: "idle" };
  },
);
