import type { Database } from "@/db/client.ts";
import { newToken, storeToken, voidOlderTokens } from "@/lib/accounts/tokens.ts";

/**
 * A link issued at once, as the accounts issue one once its email is out:
 * stored, every older one of the person and purpose void. Tests use it to
 * hold a link without sending mail; in the caller's transaction.
 */
export async function issueToken(
  tables: Pick<Database, "accountToken">,
  input: Parameters<typeof newToken>[0],
): Promise<string> {
  const { token, row } = newToken(input);
  await storeToken(tables, row);
  await voidOlderTokens(tables, row);
  return token;
}
