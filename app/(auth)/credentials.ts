import "server-only";
import { z } from "zod";
import { checkbox, type FormState } from "@/lib/actions/action.ts";
import { appConfig } from "@/lib/config/index.ts";
import { clientAddress } from "@/lib/security/client-address.ts";
import { authenticate } from "@/lib/users/authenticate.ts";
import { emailAddress } from "@/lib/users/email.ts";
import { PASSWORD_MAX_LENGTH } from "@/lib/users/passwords.ts";
import { signInFailureMessage } from "./messages.ts";

/** The fields of every sign-in form (ours and the Hydra 2.x one); each adds where it leads. */
export const credentialFields = {
  email: emailAddress,
  password: z.string().min(1, "Enter your password").max(PASSWORD_MAX_LENGTH, "That password is too long"),
  remember: checkbox,
};

type Credentials = z.output<z.ZodObject<typeof credentialFields>>;

/**
 * Checks a sign-in form's password, throttled by the account and the
 * client's address: the person's id, or the form's answer (the email and
 * Remember me shown again, never the password).
 */
export async function checkCredentials(
  input: Credentials,
  headers: Headers,
): Promise<{ userId: string; passwordHash: string } | { refused: FormState }> {
  const address = clientAddress(headers, appConfig().trustedProxies);
  const outcome = await authenticate(input.email, input.password, address);
  if (outcome.ok) return { userId: outcome.user.id, passwordHash: outcome.passwordHash };
  return {
    refused: {
      status: "error",
      code: outcome.code,
      message: signInFailureMessage(outcome),
      values: { email: input.email, remember: input.remember ? "on" : "" },
    },
  };
}
