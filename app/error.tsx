"use client";

import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";

/** Any unexpected failure while rendering a page: a calm page with a way on; the details are in the server log. */
export default function ErrorPage({ error }: { error: Error & { digest?: string } }) {
  return (
    <Shell>
      {/* The pages titled by what they show (metadata title null) have no other title when they fail. */}
      <PageTitle>Something went wrong on our side</PageTitle>
      <Card>
        <div role="alert">
          <Heading>Something went wrong on our side</Heading>
          <Lead>Please try again in a moment.</Lead>
        </div>
        {error.digest && (
          <p className="mt-4 text-xs text-slate-500 dark:text-slate-400">
            If you contact support, quote reference <span className="font-mono">{error.digest}</span>.
          </p>
        )}
        <div className="mt-6 flex flex-col gap-3 sm:flex-row">
          <ButtonLink href="">Try again</ButtonLink>
          <ButtonLink href="/account" variant="secondary">
            Go to your account
          </ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
