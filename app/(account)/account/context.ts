import type { currentSession, currentUser } from "@/lib/session/index.ts";

/** What every section of /account is given: the signed-in person and their session. */
export interface AccountContext {
  user: NonNullable<Awaited<ReturnType<typeof currentUser>>>;
  session: Awaited<ReturnType<typeof currentSession>>;
  /** What an action just did (`?done=<what>` after its redirect), for the section that shows it. */
  done: string | undefined;
}
