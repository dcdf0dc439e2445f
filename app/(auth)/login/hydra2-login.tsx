import { redirect } from "next/navigation";
import { ConsentError } from "@/app/(auth)/consent/ask/consent-error.tsx";
import { Shell } from "@/components/shell.tsx";
import { ButtonLink, Card, Heading, Lead, PageTitle, TextLink } from "@/components/ui.tsx";
import { isDocumentRequest } from "@/lib/actions/navigation.ts";
import { appConfig } from "@/lib/config/index.ts";
import type { ConsentProblem } from "@/lib/consent/decisions.ts";
import { acceptRememberedLogin, loadLogin, stepProblem } from "@/lib/consent/hydra2.ts";
import { parseChallenge } from "@/lib/consent/ids.ts";
import { wayBackTo } from "@/lib/consent/way-back.ts";
import type { LoginRequest } from "@/lib/hydra/index.ts";
import { log } from "@/lib/log/index.ts";
import { currentSession } from "@/lib/session/index.ts";
import { CancelSignInForm } from "./cancel-form.tsx";
import { LoginForm } from "./login-form.tsx";

/**
 * /login?login_challenge=…: Hydra 2.x's login step. When Hydra says `skip`
 * (it remembers the person's sign-in) the screen is never shown: the login
 * is accepted for the subject Hydra remembers, if they still have an
 * account here, on the browser's own page load. Otherwise the sign-in form,
 * which answers Hydra instead of starting a session here. Any problem is a
 * page that says what happened.
 */
export async function Hydra2Login({ value }: { value: string | string[] | undefined }) {
  const challenge = parseChallenge(value);
  if (!challenge) return <ConsentError problem={{ code: "missing", reference: "" }} />;

  let request: LoginRequest | undefined;
  let problem: ConsentProblem | undefined;
  let goTo: string | undefined;
  const document = await isDocumentRequest();
  try {
    request = await loadLogin(challenge);
    if (request.skip && document) {
      goTo = await acceptRememberedLogin(request);
      log().info("sign-in skipped: Hydra remembers the person", { client: request.client.id });
    }
  } catch (error) {
    problem = stepProblem(error, challenge);
  }
  if (goTo) redirect(goTo);
  // The re-render that follows the sign-in finds the request answered: the form stays, so its state
  // can take the browser on (see navigate()).
  if ((problem && document) || (!request && !problem))
    return (
      <ConsentError
        problem={problem ?? { code: "bad_response", reference: "", status: 502 }}
        retry={`/login?login_challenge=${encodeURIComponent(challenge)}`}
      />
    );

  const session = await currentSession();
  const appName = request ? request.client.client_name || request.client.id : undefined;
  const here = `/login?login_challenge=${encodeURIComponent(challenge)}`;
  return (
    <Shell>
      <PageTitle>Sign in</PageTitle>
      <Card>
        <Heading>Sign in</Heading>
        <Lead>{appName ? <>to continue to {appName}</> : <>to continue</>}</Lead>
        {request?.skip ? (
          // A client-side visit of a page Hydra says to skip: a full page load answers it.
          <div className="mt-6">
            <ButtonLink href={here} className="w-full">
              Continue
            </ButtonLink>
          </div>
        ) : (
          <>
            <LoginForm
              csrf={session.csrf}
              loginChallenge={challenge}
              email={request?.oidc_context.loginHint}
              // The page's re-render after a post that found the request answered has only the 410's
              // client (Portico names it; Ory Hydra does not): the link stays when it can.
              backTo={request ? wayBackTo(request.client) : problem?.backTo}
            />
            <CancelSignInForm csrf={session.csrf} loginChallenge={challenge} />
          </>
        )}
        <div className="mt-6 flex flex-col items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
          <TextLink href="/forgot-password">Forgot password?</TextLink>
          {appConfig().signup === "open" && (
            <p>
              New here? <TextLink href="/signup">Create an account</TextLink>, then go back to the app and
              sign in.
            </p>
          )}
        </div>
      </Card>
    </Shell>
  );
}
