import { redirect } from "next/navigation";
import { Shell } from "@/components/shell.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import type { ConsentProblem } from "@/lib/consent/decisions.ts";
import {
  answerSkippedConsent,
  loadHydraConsent,
  type PendingHydraConsent,
  stepProblem,
} from "@/lib/consent/hydra2.ts";
import { parseChallenge } from "@/lib/consent/ids.ts";
import { describeScope } from "@/lib/consent/scopes.ts";
import { currentSession } from "@/lib/session/index.ts";
import { ConsentError } from "./consent-error.tsx";
import { ConsentForm } from "./consent-form.tsx";

/**
 * /consent?consent_challenge=…: Hydra 2.x's consent step, for the person
 * Hydra's login step accepted. When Hydra says `skip` (a remembered
 * decision covers the request, or the client is trusted) the screen is
 * never shown: every requested scope and audience is granted on the
 * browser's own page load.
 */
export async function Hydra2Consent({
  value,
  failed,
}: {
  value: string | string[] | undefined;
  /** A failure of the API that GET /consent met already (`?failed=`). */
  failed?: ConsentProblem;
}) {
  const challenge = parseChallenge(value);
  if (!challenge) return <ConsentError problem={{ code: "missing", reference: "" }} />;
  const retry = `/consent?consent_challenge=${encodeURIComponent(challenge)}`;
  if (failed) return <ConsentError problem={failed} retry={retry} />;

  let pending: PendingHydraConsent | undefined;
  let problem: ConsentProblem | undefined;
  let goTo: string | undefined;
  try {
    pending = await loadHydraConsent(challenge);
    if (await isDocumentRequest()) goTo = await answerSkippedConsent(pending);
  } catch (error) {
    problem = stepProblem(error, challenge);
  }
  if (goTo) redirect(goTo);
  if (problem || !pending)
    return (
      <ConsentError problem={problem ?? { code: "bad_response", reference: "", status: 502 }} retry={retry} />
    );

  const { request, user } = pending;
  const session = await currentSession();
  return (
    <Shell>
      <ConsentForm
        csrf={session.csrf}
        consent={challenge}
        hydra2
        client={request.client}
        user={{ email: user.email, name: user.name }}
        scopes={request.requested_scope.map(describeScope)}
      />
    </Shell>
  );
}
