import { ClientLogo } from "@/components/client-logo.tsx";
import { Card } from "@/components/ui.tsx";
import { grants } from "@/lib/consent/index.ts";
import { describeScope } from "@/lib/consent/scopes.ts";
import { HydraError, hydra, type OAuth2Client } from "@/lib/hydra/index.ts";
import type { AccountContext } from "./context.ts";
import { dateFormat } from "./format.ts";
import { RevokeForm } from "./forms.tsx";

async function clientOrId(
  id: string,
): Promise<Pick<OAuth2Client, "id" | "client_name" | "logo_uri" | "client_uri">> {
  try {
    return await hydra().getClient(id);
  } catch (error) {
    if (error instanceof HydraError) return { id, client_name: "", logo_uri: "", client_uri: "" };
    throw error;
  }
}

/** The decisions the person asked to remember, each revocable. */
export async function RememberedSection({ account: { user, session } }: { account: AccountContext }) {
  const remembered = await grants().list(user.id);
  const apps = await Promise.all(
    remembered.map(async (grant) => ({ grant, client: await clientOrId(grant.clientId) })),
  );
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Apps you let in without asking</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        When you tick “Remember my decision”, the app may sign you in again with the same permissions without
        asking. Revoke it and the app loses the access you gave it, at once, and asks next time.
      </p>
      {apps.length === 0 ? (
        <p className="mt-6 rounded-lg bg-slate-50 px-4 py-6 text-center text-sm text-slate-600 dark:bg-slate-800/60 dark:text-slate-400">
          No remembered decisions.
        </p>
      ) : (
        <ul
          className="mt-6 divide-y divide-slate-200 dark:divide-slate-700"
          aria-label="Remembered decisions"
        >
          {apps.map(({ grant, client }) => {
            const name = client.client_name || client.id;
            return (
              <li key={grant.id} className="flex flex-col gap-3 py-4 sm:flex-row sm:items-center">
                <div className="flex min-w-0 flex-1 items-center gap-3">
                  <ClientLogo logoUri={client.logo_uri} name={name} alt="" size="small" />
                  <div className="min-w-0">
                    <p className="font-medium">{name}</p>
                    <p className="text-sm text-slate-600 dark:text-slate-400">
                      {grant.scopes.length > 0
                        ? grant.scopes.map((scope) => describeScope(scope).title).join(" · ")
                        : "No permissions"}
                      <span className="sr-only">. </span>
                      <span className="block text-xs">Since {dateFormat.format(grant.updatedAt)} UTC</span>
                    </p>
                  </div>
                </div>
                <RevokeForm csrf={session.csrf} grant={grant.id} appName={name} />
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
