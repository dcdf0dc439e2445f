import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import {
  acceptConsent,
  type ConsentProblem,
  consentProblem,
  loadConsent,
  type PendingConsent,
} from "@/lib/consent/decisions.ts";
import { parseConsentId } from "@/lib/consent/ids.ts";
import { grants } from "@/lib/consent/index.ts";
import { coveredBy, describeScope } from "@/lib/consent/scopes.ts";
import { log } from "@/lib/log/index.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { ConsentError } from "./consent-error.tsx";
import { ConsentForm } from "./consent-form.tsx";

export const metadata: Metadata = { title: "Allow access?" };

export default async function ConsentPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const id = parseConsentId(params.consent);
  if (!id) return <ConsentError problem={{ code: "missing", reference: "" }} />;

  const user = await currentUser();
  if (!user) redirect(`/login?consent=${encodeURIComponent(id)}`);

  let pending: PendingConsent | undefined;
  let problem: ConsentProblem | undefined;
  let answeredAt: string | undefined;
  try {
    pending = await loadConsent(id);
    const { request } = pending;
    // A remembered decision answers for the user, but only on the browser's own page load (see isDocumentRequest).
    const remembered = await grants().find(user.id, request.audience);
    if (remembered && coveredBy(request.requestedScopes, remembered.scopes) && (await isDocumentRequest())) {
      await acceptConsent(request, user, request.requestedScopes);
      log().info("consent given from a remembered decision", { client: request.audience });
      answeredAt = request.redirectUrl;
    }
  } catch (error) {
    problem = consentProblem(error, id);
  }
  if (answeredAt) redirect(answeredAt);
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
