import "server-only";
import { revalidatePath } from "next/cache";
import type { z } from "zod";
import { type ActionContext, type FormState, formAction } from "@/lib/actions/action.ts";
import { navigate } from "@/lib/actions/navigation.ts";
import { durationInWords } from "@/lib/format/duration.ts";
import { currentUser } from "@/lib/session/index.ts";
import { RECENT_SIGN_IN_SECONDS, signedInRecently } from "./recent.ts";

type AccountUser = NonNullable<Awaited<ReturnType<typeof currentUser>>>;

const REAUTH_MESSAGE = `For your security, enter your password again before changing your account: you signed in more than ${durationInWords(RECENT_SIGN_IN_SECONDS)} ago.`;

/**
 * A server action of /account: formAction's checks, then the signed-in
 * person (or a trip to the sign-in page), who must have entered their
 * password within the last 10 minutes, or else confirm it first.
 */
export function accountAction<Schema extends z.ZodType<Record<string, unknown>>>(
  name: string,
  schema: Schema,
  handler: (input: z.output<Schema>, user: AccountUser, context: ActionContext) => Promise<FormState>,
): (previous: FormState, form: FormData) => Promise<FormState> {
  return formAction(name, schema, async (input, context) => {
    const user = await currentUser();
    if (!user) return navigate("/login?next=/account");
    if (!signedInRecently(user.authTime)) {
      // The page may have been drawn while the sign-in was recent, without "Confirm it's you":
      // drawn again with this answer, it offers the password field the message asks for.
      revalidatePath("/account");
      return { status: "error", code: "reauth", message: REAUTH_MESSAGE };
    }
    return handler(input, user, context);
  });
}
