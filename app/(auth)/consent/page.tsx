import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { signInPage } from "@/lib/accounts/prompt-create.ts";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import { appConfig } from "@/lib/config/index.ts";
import {
  acceptConsent,
  type ConsentProblem,
  consentProblem,
  loadConsent,
  type PendingConsent,
  rejectConsent,
} from "@/lib/consent/decisions.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";
import { grants } from "@/lib/consent/index.ts";
import { describeScope } from "@/lib/consent/scopes.ts";
import { consentStep } from "@/lib/consent/steps.ts";
import { log } from "@/lib/log/index.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { ConsentError } from "./consent-error.tsx";
import { ConsentForm } from "./consent-form.tsx";
import { Hydra2Consent } from "./hydra2-consent.tsx";

export const metadata: Metadata = { title: "Allow access?" };

export default async function ConsentPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  if (params.consent_challenge !== undefined) return <Hydra2Consent value={params.consent_challenge} />;
  const id = parseConsentId(params.consent);
  if (!id) return <ConsentError problem={{ code: "missing", reference: "" }} />;

  const user = await currentUser();
  // "Continue as …" on the sign-in page chose the signed-in account for this request (prompt=select_account).
  const accountChosen = params.account === "current";

  let pending: PendingConsent | undefined;
  let problem: ConsentProblem | undefined;
  let goTo: string | undefined;
  try {
    pending = await loadConsent(id);
    const { request, client } = pending;
    const remembered = user ? (await grants().find(user.id, request.audience))?.scopes : undefined;
    const step = consentStep({ request, client, person: user, accountChosen, remembered });
    // Answering for the person happens only on the browser's own page load (see isDocumentRequest).
    const document = await isDocumentRequest();
    if (step.kind === "sign_in") {
      goTo = signInPage({
        consent: id,
        prompt: request.prompt,
        signedIn: user !== null,
        signupOpen: appConfig().signup === "open",
      });
    } else if (step.kind === "reject" && document) {
      await rejectConsent(request, step.error);
      log().info("prompt=none answered without a page", { client: request.audience, error: step.error });
      goTo = request.redirectUrl;
    } else if (step.kind === "accept" && document && user) {
      await acceptConsent(request, user, request.requestedScopes);
      log().info(
        step.because === "trusted"
          ? "consent skipped for a trusted client (skip_consent)"
          : "consent given from a remembered decision",
        { client: request.audience, scopes: request.requestedScopes },
      );
      goTo = request.redirectUrl;
    }
  } catch (error) {
    problem = consentProblem(error, id);
  }
  if (goTo) redirect(goTo);
  if (!user) redirect(`/login?consent=${encodeURIComponent(id)}`);
  if (problem || !pending)
    return <ConsentError problem={problem ?? { code: "bad_response", reference: "" }} />;

  const { request, client } = pending;
  const session = await currentSession();
  return (
    <Shell>
      <ConsentForm
        csrf={session.csrf}
        consent={request.id}
        client={client}
        user={{ email: user.email, name: user.name }}
        scopes={request.requestedScopes.map(describeScope)}
      />
    </Shell>
  );
}
