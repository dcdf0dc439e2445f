import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead } from "@/components/ui.tsx";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <Shell>
      <Card>
        <Heading>This page does not exist</Heading>
        <Lead>The address may be mistyped, or the page has moved.</Lead>
        <div className="mt-6">
          <ButtonLink href="/account">Go to your account</ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
