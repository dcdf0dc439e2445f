import { Card } from "@/components/ui.tsx";
import { brand } from "@/lib/brand/brand.ts";
import type { AccountContext } from "./context.ts";
import { DeleteAccountForm } from "./delete-form.tsx";

/** Deleting the account, for good, after typing the email address. */
export function DeleteSection({ account: { session } }: { account: AccountContext }) {
  return (
    <Card>
      <h2 className="text-lg font-semibold tracking-tight">Delete account</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        This removes your {brand.name} account, the decisions you asked us to remember and every session, and
        signs you out of the apps you let in: their access ends at once. It cannot be undone.
      </p>
      <DeleteAccountForm csrf={session.csrf} />
    </Card>
  );
}
