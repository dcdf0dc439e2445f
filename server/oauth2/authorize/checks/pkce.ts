import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";
import { CODE_CHALLENGE_METHODS, isCodeChallenge } from "@/server/oauth2/pkce.ts";
import { responseParts } from "@/server/oauth2/response-types.ts";

/**
 * RFC 7636. Only S256: `plain` (the default when the method is left out)
 * sends the verifier itself through the browser and protects nothing that
 * S256 does not, so it is refused. A public client has no secret to prove
 * it is the one redeeming the code, so it must use PKCE for any code
 * (OAuth 2.0 Security BCP §2.1.1).
 */
export const pkce: AuthorizationCheck = (context) => {
  const { params } = context;
  const challenge = params.get("code_challenge");
  const method = params.get("code_challenge_method");
  const issuesCode = context.responseType !== undefined && responseParts(context.responseType).code;
  if (challenge === undefined) {
    if (method !== undefined)
      throw new InvalidRequest("code_challenge_method was sent without code_challenge");
    if (context.client?.public && issuesCode) {
      throw new InvalidRequest(
        "A public client must use PKCE (code_challenge with code_challenge_method=S256)",
      );
    }
    return;
  }
  if (method === undefined || !(CODE_CHALLENGE_METHODS as readonly string[]).includes(method)) {
    throw new InvalidRequest(`code_challenge_method must be ${CODE_CHALLENGE_METHODS.join(" or ")}`);
  }
  if (!isCodeChallenge(challenge)) {
    throw new InvalidRequest(
      "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
    );
  }
  context.codeChallenge = challenge;
  context.codeChallengeMethod = method;
};
