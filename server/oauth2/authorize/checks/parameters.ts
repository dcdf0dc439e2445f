import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import {
  InvalidRequest,
  RegistrationNotSupported,
  RequestNotSupported,
  RequestUriNotSupported,
} from "@/server/oauth2/errors.ts";

/**
 * RFC 6749 §3.1: no parameter twice. OpenID Connect Core §6 request objects
 * and §7.2.1 registration are not supported, and say so rather than being
 * ignored: a client relying on them would otherwise get what it did not ask for.
 */
export const parameters: AuthorizationCheck = ({ params }) => {
  const [repeated] = params.repeated;
  if (repeated !== undefined) throw new InvalidRequest(`${repeated} was sent more than once`);
  if (params.get("request") !== undefined) throw new RequestNotSupported();
  if (params.get("request_uri") !== undefined) throw new RequestUriNotSupported();
  if (params.get("registration") !== undefined) throw new RegistrationNotSupported();
};
