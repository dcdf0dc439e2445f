import { Card, Heading, Lead } from "@/components/ui.tsx";
import { brand } from "@/lib/brand/brand.ts";
import type { AccountContext } from "./context.ts";
import { dateFormat } from "./format.ts";
import { SignOutForm } from "./forms.tsx";

/** Who is signed in, since when, and the way out. */
export function OverviewSection({ account: { user, session } }: { account: AccountContext }) {
  return (
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
  );
}
