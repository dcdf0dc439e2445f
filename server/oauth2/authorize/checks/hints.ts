import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";

const MAX_HINT = 512;
const MAX_LIST = 20;
/** BCP 47 language tags, loosely: letters, digits and hyphens. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
/** An ACR value is a string or URI without spaces (OpenID Connect Core §2). */
const ACR_VALUE = /^[\x21-\x7E]{1,255}$/;

function list(value: string, name: string, valid: RegExp): string[] {
  const values = [...new Set(value.split(" ").filter(Boolean))];
  if (values.length > MAX_LIST) throw new InvalidRequest(`${name} may list at most ${MAX_LIST} values`);
  const bad = values.find((item) => !valid.test(item));
  if (bad !== undefined) throw new InvalidRequest(`${name} holds an invalid value`);
  return values;
}

/** OpenID Connect Core §3.1.2.1 `login_hint`: passed to the app, which only prefills with it. */
export const loginHint: AuthorizationCheck = (context) => {
  const value = context.params.get("login_hint");
  if (value === undefined) return;
  if (value.length > MAX_HINT) throw new InvalidRequest(`login_hint may be at most ${MAX_HINT} characters`);
  context.oidc.loginHint = value;
};

/**
 * `ui_locales` as a preference and nothing more: the well-formed BCP 47 tags, preferred first, at
 * most MAX_LIST of them. OpenID Connect Core §3.1.2.1 (and RP-Initiated Logout 1.0 §2): "an error
 * SHOULD NOT result if some or all of the requested locales are not supported", so a tag that is
 * not one (`fr_FR`, as some platforms write it) is left out rather than failing the request.
 */
export function preferredLocales(value: string | undefined): string[] {
  const tags = [...new Set((value ?? "").split(" ").filter((tag) => LANGUAGE_TAG.test(tag)))];
  return tags.slice(0, MAX_LIST);
}

/** OpenID Connect Core §3.1.2.1 `ui_locales`: space-separated BCP 47 tags, preferred first. */
export const uiLocales: AuthorizationCheck = (context) => {
  const value = context.params.get("ui_locales");
  if (value !== undefined) context.oidc.uiLocales = preferredLocales(value);
};

/** OpenID Connect Core §3.1.2.1 `acr_values`: space-separated, preferred first; the app decides. */
export const acrValues: AuthorizationCheck = (context) => {
  const value = context.params.get("acr_values");
  if (value !== undefined) context.oidc.acrValues = list(value, "acr_values", ACR_VALUE);
};
