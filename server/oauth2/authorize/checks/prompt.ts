import { PROMPT_VALUES, type Prompt } from "@/server/flow/model.ts";
import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";

/**
 * OpenID Connect Core §3.1.2.1: `prompt` is a space-separated list of known
 * values; `none` stands alone, because it promises that no page is shown
 * while every other value asks for one. An unknown value is refused rather
 * than ignored: a client asking for a screen must not silently get none.
 */
export const prompt: AuthorizationCheck = (context) => {
  const value = context.params.get("prompt");
  if (value === undefined) return;
  const values = [...new Set(value.split(" ").filter(Boolean))];
  const unknown = values.filter((v) => !(PROMPT_VALUES as readonly string[]).includes(v));
  if (unknown.length > 0) throw new InvalidRequest(`The prompt value ${unknown.join(" ")} is not supported`);
  if (values.includes("none") && values.length > 1) {
    throw new InvalidRequest("prompt=none cannot be combined with other prompt values");
  }
  context.oidc.prompt = values as Prompt[];
};
