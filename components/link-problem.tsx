import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";

/**
 * The page for a mailed link that is forged, used, superseded or expired: nothing was changed. Its
 * title says so (WCAG 2.4.2), not what the link would have done ("Choose a new password").
 */
export function LinkProblemPage({
  problem,
  retry,
}: {
  problem: "invalid" | "expired" | "taken";
  retry: { href: string; label: string };
}) {
  const copy = {
    invalid: {
      title: "This link does not work",
      body: "It may have been used already, replaced by a newer one, or copied incompletely. Nothing was changed.",
    },
    expired: {
      title: "This link has expired",
      body: "Links in our emails only work for a limited time. Nothing was changed.",
    },
    taken: {
      title: "This address is already in use",
      body: "Another account started using this email address in the meantime. Nothing was changed.",
    },
  }[problem];
  return (
    <Shell>
      <PageTitle>{copy.title}</PageTitle>
      <Card>
        <Heading>{copy.title}</Heading>
        <Lead>{copy.body}</Lead>
        <div className="mt-6">
          <ButtonLink href={retry.href}>{retry.label}</ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
