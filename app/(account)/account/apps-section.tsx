import { ClientLogo } from "@/components/client-logo.tsx";
import { Alert, Card } from "@/components/ui.tsx";
import { grants } from "@/lib/consent/index.ts";
import { describeScope } from "@/lib/consent/scopes.ts";
import { accountHydra, HydraError, type OAuth2Client } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import type { AccountContext } from "./context.ts";
import { dateFormat } from "./format.ts";
import { RevokeForm } from "./forms.tsx";

type ShownClient = Pick<OAuth2Client, "id" | "client_name" | "logo_uri" | "client_uri">;

/**
 * Client look-ups at once. The list comes from the server (up to 500 apps),
 * and one look-up each, all at once, would open as many connections to it
 * for one page view.
 */
const LOOKUPS_AT_ONCE = 8;

/** No look-up starts later than this into the page: the apps not looked up by then are shown by id. */
const LOOKUPS_WITHIN_MS = 5_000;

/**
 * Each app's client, or its id alone where it cannot be read. Once the
 * server has failed to answer one look-up, or the time for them is up, the
 * rest are not asked for: a slow server must not hold the page for one
 * time limit per round of look-ups.
 */
async function clientsOrIds(ids: readonly string[]): Promise<ShownClient[]> {
  const byId = (id: string): ShownClient => ({ id, client_name: "", logo_uri: "", client_uri: "" });
  const until = Date.now() + LOOKUPS_WITHIN_MS;
  let answering = true;
  return mapAtMost(ids, LOOKUPS_AT_ONCE, async (id) => {
    if (!answering || Date.now() > until) return byId(id);
    try {
      return await accountHydra().getClient(id);
    } catch (error) {
      if (!(error instanceof HydraError)) throw error;
      if (error.code === "unreachable") answering = false;
      return byId(id);
    }
  });
}

/** `map` over `items` with at most `limit` calls of `each` running at a time; results in order. */
async function mapAtMost<T, R>(
  items: readonly T[],
  limit: number,
  each: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await each(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface App {
  clientId: string;
  scopes: string[];
  since: Date;
  remembered: boolean;
}

/**
 * Every app the person let in: those with access alive on the server (any
 * token or code, remembered or not) and those with a remembered decision,
 * one row per app, with the scopes and when. Revoke ends both at once.
 */
export async function AppsSection({ account: { user, session } }: { account: AccountContext }) {
  const remembered = await grants().list(user.id);
  let live: { clientId: string; scopes: string[]; grantedAt: Date }[] = [];
  let unreachable = false;
  try {
    live = await accountHydra().listSubjectGrants(user.id);
  } catch (error) {
    if (!(error instanceof HydraError)) throw error;
    log().warn("could not list the apps with access", { code: error.code });
    unreachable = true;
  }
  const byClient = new Map<string, App>();
  for (const grant of live) {
    byClient.set(grant.clientId, {
      clientId: grant.clientId,
      scopes: grant.scopes,
      since: grant.grantedAt,
      remembered: false,
    });
  }
  for (const grant of remembered) {
    const known = byClient.get(grant.clientId);
    byClient.set(grant.clientId, {
      clientId: grant.clientId,
      scopes: [...new Set([...(known?.scopes ?? []), ...grant.scopes])],
      since: known && known.since > grant.updatedAt ? known.since : grant.updatedAt,
      remembered: true,
    });
  }
  const sorted = [...byClient.values()].sort((a, b) => b.since.getTime() - a.since.getTime());
  const clients = await clientsOrIds(sorted.map((app) => app.clientId));
  const apps = sorted.map((app, index) => ({ app, client: clients[index] as ShownClient }));
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Apps you let in</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        Every app that can act for you now, and every app you let in without asking (“Remember my decision”).
        Revoke an app and it loses the access you gave it at once, and asks next time.
      </p>
      {unreachable && (
        <div className="mt-4">
          <Alert>Some apps may be missing: the sign-in service could not be reached.</Alert>
        </div>
      )}
      {apps.length === 0 ? (
        <p className="mt-6 rounded-lg bg-slate-50 px-4 py-6 text-center text-sm text-slate-600 dark:bg-slate-800/60 dark:text-slate-400">
          No app has access to your account.
        </p>
      ) : (
        <ul className="mt-6 divide-y divide-slate-200 dark:divide-slate-700" aria-label="Apps you let in">
          {apps.map(({ app, client }) => {
            const name = client.client_name || client.id;
            return (
              <li key={app.clientId} className="flex flex-col gap-3 py-4 sm:flex-row sm:items-center">
                <div className="flex min-w-0 flex-1 items-center gap-3">
                  <ClientLogo logoUri={client.logo_uri} name={name} alt="" size="small" />
                  <div className="min-w-0">
                    <p className="font-medium">
                      {name}
                      {/* A space, not only a margin: read out, the two ran together ("Demo AppRemembered"). */}
                      {app.remembered && (
                        <>
                          {" "}
                          <span className="ml-1 rounded bg-brand-tint px-1.5 py-0.5 text-xs font-semibold">
                            Remembered
                          </span>
                        </>
                      )}
                    </p>
                    <p className="text-sm text-slate-600 dark:text-slate-400">
                      {app.scopes.length > 0
                        ? app.scopes.map((scope) => describeScope(scope).title).join(" · ")
                        : "No permissions"}
                      <span className="sr-only">. </span>
                      <span className="block text-xs">Since {dateFormat.format(app.since)} UTC</span>
                    </p>
                  </div>
                </div>
                <RevokeForm csrf={session.csrf} client={app.clientId} appName={name} />
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
