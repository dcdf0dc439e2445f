import type { ReactNode } from "react";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";
import { databaseUnavailable } from "@/db/unavailable.ts";
import { FORM_UNAVAILABLE } from "@/lib/actions/action.ts";
import { answerFormPostWithStatus, answerWithStatus, isPlainFormPost } from "@/lib/actions/navigation.ts";
import { log } from "@/lib/log/index.ts";

const TITLE = "This service is temporarily unavailable";

/**
 * A page's render while the database is unavailable (the PostgreSQL server cut
 * off, the SQLite file locked by another process): as the API answers 503 and
 * the forms' actions their alert (lib/actions/action.ts), the page says so in
 * words with a 503 — for its own load, and for a form posted without
 * JavaScript, which Next.js answers with the page drawn again after the action
 * — with one log line and no stack, instead of Next.js's 500 and "Something
 * went wrong". Anything else `render` throws (a redirect, a defect) goes on.
 * The reads must happen in `render` itself (await a section that reads rather
 * than leave it to React), or they fail outside it.
 */
export async function unlessDatabaseUnavailable(
  page: string,
  retry: string,
  render: () => Promise<ReactNode>,
): Promise<ReactNode> {
  try {
    return await render();
  } catch (error) {
    const outage = databaseUnavailable(error);
    if (!outage) throw error;
    log().warn("page failed: the database is unavailable", { page, reason: outage });
    await answerWithStatus(503);
    await answerFormPostWithStatus(503);
    return <UnavailablePage retry={retry} formPost={await isPlainFormPost()} />;
  }
}

function UnavailablePage({ retry, formPost }: { retry: string; formPost: boolean }) {
  return (
    <Shell>
      <PageTitle>{TITLE}</PageTitle>
      <Card>
        <div role="alert">
          <Heading>{TITLE}</Heading>
          <Lead>{formPost ? FORM_UNAVAILABLE : "This is usually brief. Please try again in a moment."}</Lead>
        </div>
        <div className="mt-6 flex flex-col gap-3 sm:flex-row">
          <ButtonLink href={retry} variant="primary">
            Try again
          </ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
