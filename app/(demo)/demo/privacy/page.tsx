import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { Card, Heading, Lead, TextLink } from "@/components/ui.tsx";

export const metadata: Metadata = { title: "Demo app privacy policy" };

/** The privacy policy the demo client links to, so the consent screen shows a real link. */
export default function DemoPrivacyPage() {
  return (
    <Shell>
      <Card>
        <Heading>Demo app privacy policy</Heading>
        <Lead>
          The Portico Demo App shows you the claims it receives and keeps them only in an encrypted cookie in
          your browser. It stores nothing on a server and shares nothing. Signing out of the demo deletes the
          cookie.
        </Lead>
        <p className="mt-6 text-sm">
          <TextLink href="/">Back to the demo app</TextLink>
        </p>
      </Card>
    </Shell>
  );
}
