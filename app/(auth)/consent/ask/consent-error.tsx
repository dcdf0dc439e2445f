import type { ReactNode } from "react";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";
import { WayBackLink } from "@/components/way-back-link.tsx";
import { answerWithStatus } from "@/lib/actions/navigation.ts";
import type { ConsentProblem } from "@/lib/consent/decisions.ts";

const START_AGAIN = "Go back to the app you were signing in to and start again.";

const COPY: Record<ConsentProblem["code"], { title: string; body: string; retry?: boolean }> = {
  missing: {
    title: "This link is incomplete",
    body: `It does not say which sign-in request it belongs to. ${START_AGAIN}`,
  },
  not_found: {
    title: "We could not find this sign-in request",
    body: `The link may be incomplete or out of date. ${START_AGAIN}`,
  },
  expired: {
    title: "This sign-in request has expired",
    body: `Sign-in requests are only valid for a few minutes. ${START_AGAIN}`,
  },
  already_handled: {
    title: "This sign-in request was already answered",
    body: `Each request can be answered once. ${START_AGAIN}`,
  },
  unreachable: {
    title: "We cannot reach the sign-in service",
    body: "This is usually brief. Please try again in a moment.",
    retry: true,
  },
  unauthorized: {
    title: "Something went wrong on our side",
    body: "The sign-in service turned this app away. Please try again later.",
    retry: true,
  },
  bad_response: {
    title: "Something went wrong on our side",
    body: "The sign-in service gave an answer we did not expect. Please try again later.",
    retry: true,
  },
  unsupported: {
    title: "This sign-in link cannot be used here",
    body: `This service is not set up to answer it. ${START_AGAIN}`,
  },
};

/**
 * A clear error page for a consent request that cannot be used, with a way
 * back. A failure of the API answers its 5xx (problem.status); "Try again"
 * goes to `retry` (default: this page again). Its title says what happened
 * (WCAG 2.4.2), not what the page that shows it would have asked ("Allow
 * access?", "Sign in").
 */
export async function ConsentError({
  problem,
  retry = "",
}: {
  problem: ConsentProblem;
  retry?: string;
}): Promise<ReactNode> {
  const copy = COPY[problem.code];
  if (problem.status) await answerWithStatus(problem.status);
  return (
    <Shell>
      <PageTitle>{copy.title}</PageTitle>
      <Card>
        <div role="alert">
          <Heading>{copy.title}</Heading>
          <Lead>{copy.body}</Lead>
        </div>
        {problem.backTo && (
          <p className="mt-4 text-sm text-slate-600 dark:text-slate-400">
            {problem.backTo.name} is at {new URL(problem.backTo.url).host}.
          </p>
        )}
        {problem.reference && (
          <p className="mt-4 text-xs text-slate-500 dark:text-slate-400">
            If you contact support, quote reference <span className="font-mono">{problem.reference}</span>.
          </p>
        )}
        <div className="mt-6 flex flex-col gap-3 sm:flex-row">
          {copy.retry && (
            <ButtonLink href={retry} variant="primary">
              Try again
            </ButtonLink>
          )}
          {problem.backTo && <WayBackLink to={problem.backTo} />}
          <ButtonLink href="/account" variant={copy.retry || problem.backTo ? "secondary" : "primary"}>
            Go to your account
          </ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
