"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { grants } from "@/lib/consent/index.ts";
import { log } from "@/lib/log/index.ts";
import { currentUser } from "@/lib/session/index.ts";

/** Forgets a remembered decision of the signed-in user; the app asks again next time. */
export const revokeAction = formAction(
  "revoke remembered decision",
  z.object({ grant: z.uuid("Unknown decision") }),
  async (input): Promise<FormState> => {
    const user = await currentUser();
    if (!user) return navigate("/login?next=/account");
    if (await grants().revoke(user.id, input.grant))
      log().info("remembered decision revoked", { grant: input.grant });
    revalidatePath("/account");
    return { status: "idle" };
  },
);
