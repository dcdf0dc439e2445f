import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead } from "@/components/ui.tsx";
import { TOKEN_LIFETIME_MS } from "@/lib/accounts/tokens.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";
import { durationInWords } from "@/lib/format/duration.ts";

export const metadata: Metadata = { title: "Check your inbox" };

const COPY = {
  signup: "We sent an email to the address you entered. Follow its link to confirm your address.",
  reset: `We sent an email to the address you entered with what to do next. Its link works for ${durationInWords(TOKEN_LIFETIME_MS.reset_password / 1000)}.`,
} as const;

/**
 * The one answer to sign-up and "Forgot password?", whether or not the
 * address has an account: the email itself says which.
 */
export default async function CheckInboxPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const kind = params.for === "reset" ? "reset" : "signup";
  const consent = parseConsentId(params.consent);
  return (
    <Shell>
      <Card>
        <Heading>Check your inbox</Heading>
        <Lead>{COPY[kind]}</Lead>
        <p className="mt-4 text-sm text-slate-600 dark:text-slate-400">
          Nothing there after a few minutes? Look in your spam folder, or try again.
        </p>
        <div className="mt-6">
          <ButtonLink href={consent ? `/login?consent=${encodeURIComponent(consent)}` : "/login"}>
            {consent ? "Continue to sign in" : "Go to sign in"}
          </ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}
