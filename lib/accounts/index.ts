import "server-only";
import { appConfig } from "@/lib/config/index.ts";
import { db } from "@/lib/db/index.ts";
import { accountHydra, HydraError } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { reportSessionsEnded } from "@/lib/logout/report.ts";
import { mail } from "@/lib/mail/index.ts";
import { Accounts } from "./accounts.ts";

let accounts: Accounts | undefined;

export function accountService(): Accounts {
  const { issuer, signup } = appConfig();
  accounts ??= new Accounts({
    db: db(),
    mailer: mail(),
    issuer,
    signupOpen: signup === "open",
    sessionsEnded: reportSessionsEnded,
    appAccessRevoked: (subject) => {
      void accountHydra()
        .revokeSubjectGrants(subject)
        .catch((error: unknown) => {
          log().error(
            "could not revoke the apps' access after a password reset or an undone change of address",
            {
              ...(error instanceof HydraError ? error.details : { error: String(error) }),
            },
          );
        });
    },
  });
  return accounts;
}

export type { LinkOutcome, MailOutcome } from "./accounts.ts";
export type { LinkProblem } from "./tokens.ts";
