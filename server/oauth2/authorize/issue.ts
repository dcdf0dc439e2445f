import { randomUUID } from "node:crypto";
import { rawQueries } from "@/db/client.ts";
import type { ConsentRequest } from "@/server/consent/store.ts";
import { AccessDenied, InvalidRequest } from "@/server/oauth2/errors.ts";
import { responseParts } from "@/server/oauth2/response-types.ts";
import type { Services } from "@/server/services.ts";
import type { AuthorizationRequest } from "./context.ts";

/**
 * Answers an accepted consent request with what `response_type` asks for
 * (OpenID Connect Core §3.1.2.5, §3.2.2.5, §3.3.2.5). Using the consent
 * request, storing the code and the access token are one transaction; every
 * artefact shares one grant id, so a replayed code revokes them all. The ID
 * token is signed before that transaction (the code's and the access token's
 * values are known by then): a failure leaves the consent request unused.
 * A subject the login & consent app deleted gets nothing (access_denied).
 */
export async function issueAuthorizationResponse(
  request: AuthorizationRequest,
  consent: ConsentRequest,
  services: Services,
): Promise<Record<string, string | undefined>> {
  const {
    consentRequests,
    authorizationCodes,
    accessTokens,
    idTokens,
    authorizationGrants,
    subjectGrants,
    db,
  } = services;
  const parts = responseParts(request.responseType);
  const grantId = randomUUID();
  const clientId = request.client.id;
  const subject = consent.subject as string;
  const scopes = consent.grantScopes;
  // The sign-in the app reported; a 2017 app that reports none signed the person in at its decision.
  const signIn = consent.signIn ?? { authTime: consent.decidedAt as Date, amr: [] };
  const authTime = signIn.authTime;

  const code = parts.code
    ? authorizationCodes.newCode({
        grantId,
        clientId,
        subject,
        scopes,
        redirectUri: request.redirectUri,
        redirectUriGiven: request.redirectUriGiven,
        codeChallenge: request.codeChallenge ?? null,
        challengeMethod: request.codeChallengeMethod ?? null,
        nonce: request.nonce ?? null,
        authTime,
        accessTokenExtra: consent.accessTokenExtra,
        idTokenExtra: consent.idTokenExtra,
      })
    : undefined;
  const access = parts.token
    ? accessTokens.newToken({ grantId, clientId, subject, scopes, extra: consent.accessTokenExtra })
    : undefined;
  const idToken = parts.idToken
    ? await idTokens.sign({
        clientId,
        subject,
        authTime,
        nonce: request.nonce,
        accessToken: access?.token,
        code: code?.code,
        extra: consent.idTokenExtra,
        amr: signIn.amr,
        acr: signIn.acr,
        sid: signIn.sid,
      })
    : undefined;
  // The subject is checked in the transaction that uses the consent request, as the token endpoint
  // checks it in the one that uses the code: a deletion that raced the decision is seen too.
  const refused = await rawQueries(db).transaction([
    consentRequests.use(consent.id),
    subjectGrants.notDeleted(subject),
    authorizationGrants.insert({
      grantId,
      clientId,
      subject,
      scopes,
      signIn,
      claims: consent.idTokenExtra,
      audience: consent.grantAudience,
      consentRequestId: consent.id,
    }),
    ...(code ? [code.insert] : []),
    ...(access ? [access.insert] : []),
  ]);
  if (refused === "deleted") throw new AccessDenied("The subject of this request no longer exists");
  if (refused) throw new InvalidRequest("The consent request was already used");
  const issued = { code: code?.code, accessToken: access?.token };
  const token = issued.accessToken !== undefined;
  return {
    code: issued.code,
    access_token: issued.accessToken,
    token_type: token ? "bearer" : undefined,
    expires_in: token ? String(accessTokens.lifespanSeconds) : undefined,
    scope: token ? scopes.join(" ") : undefined,
    id_token: idToken,
  };
}
