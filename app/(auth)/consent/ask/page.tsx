import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { unlessDatabaseUnavailable } from "@/components/unavailable-page.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import { decideConsent } from "@/lib/consent/decide.ts";
import { parseFailed } from "@/lib/consent/decisions.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";
import { describeScope } from "@/lib/consent/scopes.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { ConsentError } from "./consent-error.tsx";
import { ConsentForm } from "./consent-form.tsx";
import { Hydra2Consent } from "./hydra2-consent.tsx";

/** Titled by what it shows: the consent form ("Allow access?"), or why the request cannot be answered. */
export const metadata: Metadata = { title: null };

/**
 * The consent screen. Browsers come here from GET /consent (route.ts) when the
 * person has to decide; the page decides again on its own, so that a reload
 * or a bookmarked address still leads where the request now stands.
 */
export default async function ConsentPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  // A failure of the API that GET /consent met already (lib/consent/step.ts): shown, not met again.
  const failed = parseFailed(params.failed);
  if (params.consent_challenge !== undefined)
    return <Hydra2Consent value={params.consent_challenge} failed={failed} />;
  const id = parseConsentId(params.consent);
  if (!id) return <ConsentError problem={{ code: "missing", reference: "" }} />;
  const retry = `/consent?consent=${encodeURIComponent(id)}`;
  if (failed) return <ConsentError problem={failed} retry={retry} />;

  // The database down (the session's user cannot be read): said with a 503, not Next.js's 500.
  return unlessDatabaseUnavailable("consent", retry, async () => {
    const outcome = await decideConsent(id, await currentUser(), {
      // "Continue as …" on the sign-in page chose the signed-in account for this request (prompt=select_account).
      accountChosen: params.account === "current",
      // Answering for the person happens only on the browser's own page load (see isDocumentRequest).
      act: await isDocumentRequest(),
    });
    if (outcome.kind === "redirect") redirect(outcome.to);
    if (outcome.kind === "problem") return <ConsentError problem={outcome.problem} retry={retry} />;

    const { pending, user } = outcome;
    const session = await currentSession();
    return (
      <Shell>
        <ConsentForm
          csrf={session.csrf}
          consent={pending.request.id}
          client={pending.client}
          user={{ email: user.email, name: user.name }}
          scopes={pending.request.requestedScopes.map(describeScope)}
        />
      </Shell>
    );
  });
}
