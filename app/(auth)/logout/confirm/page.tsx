import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { Alert, ButtonLink, Card, Heading, Lead, PageTitle } from "@/components/ui.tsx";
import { answerWithStatus, isDocumentRequest } from "@/lib/actions/navigation.ts";
import { brand } from "@/lib/brand/brand.ts";
import { type ConsentProblem, consentProblem, parseFailed } from "@/lib/consent/decisions.ts";
import { loadHydraLogout, stepProblem } from "@/lib/consent/hydra2.ts";
import { parseChallenge, parseConsentId } from "@/lib/consent/ids.ts";
import { HydraError, type HydraLogoutRequest, hydra, type LogoutRequest } from "@/lib/hydra/index.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { ConfirmSignOutForm } from "./confirm-form.tsx";
import { Hydra2ConfirmSignOutForm } from "./hydra2-confirm-form.tsx";

/** Titled by what it shows: the question, or why sign-out could not continue. */
export const metadata: Metadata = { title: null };

/** The app's name for "… asks you to sign out"; none when unknown or unreadable. */
async function appName(request: LogoutRequest): Promise<string | undefined> {
  if (!request.audience) return undefined;
  try {
    const client = await hydra().getClient(request.audience);
    return client.client_name || client.id;
  } catch (error) {
    if (error instanceof HydraError) return undefined;
    throw error;
  }
}

const START_AGAIN = "Go back to the app and start again.";

/** What the page says about a sign-out request that could not be read, with the log line's reference. */
function problemMessage({ code, reference }: ConsentProblem): string {
  switch (code) {
    case "missing":
      return `This sign-out link is incomplete. ${START_AGAIN}`;
    case "not_found":
    case "expired":
    case "already_handled":
      return `This sign-out request was already used or has expired. ${START_AGAIN}`;
    case "unreachable":
      return `We cannot reach the sign-in service right now. Please try again in a moment (reference ${reference}).`;
    case "unsupported":
      return `This sign-out link cannot be used here: this service is not set up to answer it. ${START_AGAIN}`;
    case "unauthorized":
    case "bad_response":
      return `Something went wrong on our side: the sign-in service gave an answer we could not use. Please try again later (reference ${reference}).`;
  }
}

/** The page for a sign-out that cannot go on; a failure of the API answers its 5xx (`status`). */
async function Problem({ message, status }: { message: string; status?: number }) {
  if (status) await answerWithStatus(status);
  return (
    <Shell>
      <PageTitle>Sign-out could not continue</PageTitle>
      <Card>
        <Heading>Sign-out could not continue</Heading>
        <div className="mt-6">
          <Alert>{message}</Alert>
        </div>
        <div className="mt-6">
          <ButtonLink href="/account" variant="secondary" className="w-full">
            Go to your account
          </ButtonLink>
        </div>
      </Card>
    </Shell>
  );
}

/**
 * "Sign out of Portico?": the confirmation an RP-initiated sign-out needs
 * when the app did not prove whom it signs out (RP-Initiated Logout 1.0 §2:
 * without a matching id_token_hint the person is asked). A CSRF-protected
 * form; nothing happens on load.
 */
export default async function ConfirmSignOutPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  if (params.logout_challenge !== undefined) return <Hydra2ConfirmSignOut value={params.logout_challenge} />;
  const id = parseConsentId(params.logout);
  if (!id) return <Problem message="This sign-out link is incomplete. Go back to the app and start again." />;
  // A failure of the API that GET /logout met already: shown, not met again.
  const failed = parseFailed(params.failed);
  if (failed) return <Problem message={problemMessage(failed)} status={failed.status} />;
  let request: LogoutRequest;
  try {
    request = await hydra().getLogoutRequest(id);
  } catch (error) {
    if (!(error instanceof HydraError)) throw error;
    // The re-render that follows the Sign out action finds the request used: the form stays, so its
    // state can take the browser on (see navigate()).
    if (!(await isDocumentRequest())) request = { id };
    else {
      const problem = consentProblem(error, id);
      return <Problem message={problemMessage(problem)} status={problem.status} />;
    }
  }
  const [user, session, app] = await Promise.all([currentUser(), currentSession(), appName(request)]);
  return (
    <Shell>
      <PageTitle>Sign out?</PageTitle>
      <Card>
        <Heading>Sign out of {brand.name}?</Heading>
        <Lead>
          {app ? <>{app} asks you to sign out.</> : <>An app asks you to sign out.</>}{" "}
          {user ? (
            <>
              You are signed in as <span className="font-medium">{user.email}</span>.
            </>
          ) : (
            <>You are not signed in.</>
          )}
        </Lead>
        <ConfirmSignOutForm csrf={session.csrf} logout={request.id} />
      </Card>
    </Shell>
  );
}

/**
 * The same question for Ory Hydra 2.x (`?logout_challenge=`), always asked,
 * as Hydra's reference app does: Hydra names the person whose sign-in ends.
 */
async function Hydra2ConfirmSignOut({ value }: { value: string | string[] | undefined }) {
  const challenge = parseChallenge(value);
  if (!challenge)
    return <Problem message="This sign-out link is incomplete. Go back to the app and start again." />;
  let request: HydraLogoutRequest | undefined;
  try {
    request = await loadHydraLogout(challenge);
  } catch (error) {
    const problem = stepProblem(error, challenge);
    // The re-render that follows Sign out finds the request used: the form stays (see navigate()).
    if (await isDocumentRequest())
      return <Problem message={problemMessage(problem)} status={problem.status} />;
  }
  const session = await currentSession();
  const app = request?.client ? request.client.client_name || request.client.id : undefined;
  return (
    <Shell>
      <PageTitle>Sign out?</PageTitle>
      <Card>
        <Heading>Sign out of {brand.name}?</Heading>
        <Lead>{app ? <>{app} asks you to sign out.</> : <>You are about to sign out.</>}</Lead>
        <Hydra2ConfirmSignOutForm csrf={session.csrf} challenge={challenge} />
      </Card>
    </Shell>
  );
}
