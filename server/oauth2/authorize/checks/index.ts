import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { audience } from "./audience.ts";
import { client } from "./client.ts";
import { acrValues, loginHint, uiLocales } from "./hints.ts";
import { idTokenHint } from "./id-token-hint.ts";
import { maxAge } from "./max-age.ts";
import { nonce } from "./nonce.ts";
import { parameters } from "./parameters.ts";
import { pkce } from "./pkce.ts";
import { prompt } from "./prompt.ts";
import { redirectUri } from "./redirect-uri.ts";
import { responseMode } from "./response-mode.ts";
import { responseType } from "./response-type.ts";
import { scope } from "./scope.ts";

/**
 * The checks of /oauth2/auth (GET and POST alike), in order. The first two decide where an
 * error may go: until both pass it is shown to the user, afterwards it is
 * redirected to the client, with `state` echoed. Consent comes after all of
 * them (consent.ts), on the way out and on the way back.
 */
export const AUTHORIZATION_CHECKS: ReadonlyArray<readonly [name: string, check: AuthorizationCheck]> = [
  ["client", client],
  ["redirect_uri", redirectUri],
  ["parameters", parameters],
  ["response_type", responseType],
  ["response_mode", responseMode],
  ["scope", scope],
  ["audience", audience],
  ["nonce", nonce],
  ["pkce", pkce],
  ["prompt", prompt],
  ["max_age", maxAge],
  ["id_token_hint", idTokenHint],
  ["login_hint", loginHint],
  ["ui_locales", uiLocales],
  ["acr_values", acrValues],
];
