import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead } from "@/components/ui.tsx";
import { brand } from "@/lib/brand/brand.ts";

export const metadata: Metadata = { title: "Signed out" };

/** Where a sign-out ends when the app that started it named no page of its own to return to. */
export default function SignedOutPage() {
  return (
    <Shell>
      <Card>
        <Heading>You are signed out</Heading>
        <Lead>You have signed out of {brand.name}. You can close this window, or sign in again.</Lead>
        <div className="mt-6">
          <ButtonLink href="/login" className="w-full">
            Sign in
          </ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
