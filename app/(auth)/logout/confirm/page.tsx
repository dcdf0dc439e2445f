import type { Metadata } from "next";
import { Shell } from "@/components/shell.tsx";
import { Alert, ButtonLink, Card, Heading, Lead } from "@/components/ui.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import { brand } from "@/lib/brand/brand.ts";
import { loadHydraLogout, stepProblem } from "@/lib/consent/hydra2.ts";
import { parseChallenge, parseConsentId } from "@/lib/consent/ids.ts";
import { HydraError, type HydraLogoutRequest, hydra, type LogoutRequest } from "@/lib/hydra/index.ts";
import { currentSession, currentUser } from "@/lib/session/index.ts";
import { ConfirmSignOutForm } from "./confirm-form.tsx";
import { Hydra2ConfirmSignOutForm } from "./hydra2-confirm-form.tsx";

export const metadata: Metadata = { title: "Sign out?" };

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

function Problem({ message }: { message: string }) {
  return (
    <Shell>
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
  let request: LogoutRequest;
  try {
    request = await hydra().getLogoutRequest(id);
  } catch (error) {
    if (!(error instanceof HydraError)) throw error;
    // The re-render that follows the Sign out action finds the request used: the form stays, so its
    // state can take the browser on (see navigate()).
    if (!(await isDocumentRequest())) request = { id };
    else
      return (
        <Problem
          message={
            error.code === "unreachable" || error.code === "bad_response" || error.code === "unauthorized"
              ? "We cannot reach the sign-in service right now. Please try again in a moment."
              : "This sign-out request was already used or has expired. Go back to the app and start again."
          }
        />
      );
  }
  const [user, session, app] = await Promise.all([currentUser(), currentSession(), appName(request)]);
  return (
    <Shell>
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
      return (
        <Problem
          message={
            problem.code === "not_found" || problem.code === "already_handled"
              ? "This sign-out request was already used or has expired. Go back to the app and start again."
              : `We cannot reach the sign-in service right now. Please try again in a moment (reference ${problem.reference}).`
          }
        />
      );
  }
  const session = await currentSession();
  const app = request?.client ? request.client.client_name || request.client.id : undefined;
  return (
    <Shell>
      <Card>
        <Heading>Sign out of {brand.name}?</Heading>
        <Lead>{app ? <>{app} asks you to sign out.</> : <>You are about to sign out.</>}</Lead>
        <Hydra2ConfirmSignOutForm csrf={session.csrf} challenge={challenge} />
      </Card>
    </Shell>
  );
}
