import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { Card, Heading, Lead, TextLink } from "@/components/ui.tsx";

export const metadata: Metadata = { title: "Demo app terms of service" };

/** The terms the demo client links to, so the consent screen shows a real link. */
export default function DemoTermsPage() {
  return (
    <Shell>
      <Card>
        <Heading>Demo app terms of service</Heading>
        <Lead>
          The Portico Demo App exists to show how an app signs people in with Portico. Use it to try the flow;
          it offers nothing else.
        </Lead>
        <p className="mt-6 text-sm">
          <TextLink href="/">Back to the demo app</TextLink>
        </p>
      </Card>
    </Shell>
  );
}
