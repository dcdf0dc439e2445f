import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ClientLogo } from "@/components/client-logo.tsx";
import { Shell } from "@/components/shell.tsx";
import { Card, Heading, Lead } from "@/components/ui.tsx";
import { brand } from "@/lib/brand/brand.ts";
import { grants } from "@/lib/consent/index.ts";
import { describeScope } from "@/lib/consent/scopes.ts";
import { HydraError, hydra, type OAuth2Client } from "@/lib/hydra/index.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { RevokeForm, SignOutForm } from "./forms.tsx";

export const metadata: Metadata = { title: "Your account" };

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

const dateFormat = new Intl.DateTimeFormat("en", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

export default async function AccountPage() {
  const user = await currentUser();
  if (!user) redirect("/login?next=/account");
  const session = await currentSession();
  const remembered = await grants().list(user.id);
  const apps = await Promise.all(
    remembered.map(async (grant) => ({ grant, client: await clientOrId(grant.clientId) })),
  );

  return (
    <Shell width="wide">
      <div className="space-y-6">
        <Card>
          <div className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
            <div className="min-w-0">
              <Heading>Your account</Heading>
              <Lead>Your {brand.name} sign-in and the apps you let in.</Lead>
            </div>
            <SignOutForm csrf={session.csrf} />
          </div>
          <dl className="mt-6 grid grid-cols-1 gap-4 text-sm sm:grid-cols-2">
            <div>
              <dt className="text-slate-600 dark:text-slate-400">Name</dt>
              <dd className="mt-0.5 font-medium">{user.name || "—"}</dd>
            </div>
            <div>
              <dt className="text-slate-600 dark:text-slate-400">Email</dt>
              <dd className="mt-0.5 font-medium break-all">{user.email}</dd>
            </div>
            <div>
              <dt className="text-slate-600 dark:text-slate-400">Signed in</dt>
              <dd className="mt-0.5 font-medium">
                {dateFormat.format(new Date(user.authTime * 1000))} UTC
                {user.persistent ? " · remembered on this device" : ""}
              </dd>
            </div>
          </dl>
        </Card>

        <Card>
          <h2 className="text-lg font-semibold tracking-tight">Apps you let in without asking</h2>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            When you tick “Remember my decision”, the app may sign you in again with the same permissions
            without asking. Revoke it and the app asks next time. Access it already has lasts until it
            expires.
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
                          <span className="block text-xs">
                            Since {dateFormat.format(grant.updatedAt)} UTC
                          </span>
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
      </div>
    </Shell>
  );
}
