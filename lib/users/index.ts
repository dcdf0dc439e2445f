import "server-only";
import { db } from "@/lib/db/index.ts";
import { hydra, hydraAdmin } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { tellServerOfDeletions } from "./deletions.ts";
import { UserStore } from "./store.ts";

let store: UserStore | undefined;

export function users(): UserStore {
  store ??= new UserStore(db());
  return store;
}

/**
 * Deletes a person for good: their row, sessions and remembered decisions
 * here, and — through the admin API, now or on a later round if the server
 * cannot be reached — every token and grant they gave, with any later
 * refresh for them refused. False when there is no such person.
 */
export async function deleteUserEverywhere(userId: string): Promise<boolean> {
  if (!(await users().deleteById(userId))) return false;
  await sendQueuedDeletions();
  return true;
}

/**
 * How the server hears of a deleted person. The 2017 API's subject deletion
 * also refuses any later refresh for them; Hydra 2.x (HYDRA_ADMIN_URL) has
 * none, so its consent sessions (and with them the tokens) and remembered
 * logins of the subject end instead.
 */
function tellServer(subject: string): Promise<void> {
  return (hydraAdmin() ?? hydra()).deleteSubject(subject);
}

/** Sends the queued deletions to the server; what fails stays queued. */
export async function sendQueuedDeletions(): Promise<void> {
  const { told, failed, firstError } = await tellServerOfDeletions(db(), tellServer);
  if (told.length > 0) log().info("told the server of deleted people", { count: told.length });
  if (failed > 0) {
    log().warn("could not tell the server of deleted people yet; will retry", {
      count: failed,
      error: firstError instanceof Error ? firstError.message : String(firstError),
    });
  }
}

export type { User } from "./store.ts";
