import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest } from "@/server/oauth2/errors.ts";

/** A century: a larger max_age asks for nothing a smaller one would not. */
const MAX_MAX_AGE = 100 * 365 * 24 * 3600;

/**
 * OpenID Connect Core §3.1.2.1: `max_age` is a non-negative number of seconds.
 * Any such number is valid, however many digits it has (the request's size is
 * bounded elsewhere); one over a century asks for what a century does.
 */
export const maxAge: AuthorizationCheck = (context) => {
  const value = context.params.get("max_age");
  if (value === undefined) return;
  if (!/^\d+$/.test(value)) throw new InvalidRequest("max_age must be a non-negative integer (seconds)");
  context.oidc.maxAge = Math.min(Number(value), MAX_MAX_AGE);
};
