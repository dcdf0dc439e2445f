import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidRequest, UnauthorizedClient, UnsupportedResponseType } from "@/server/oauth2/errors.ts";
import { parseResponseType, responseParts } from "@/server/oauth2/response-types.ts";

/**
 * RFC 6749 §3.1.1: a response type the server supports (else
 * unsupported_response_type), registered by the client as it is or made of
 * parts the client registered, through
 * grant types it registered (else unauthorized_client): a code needs
 * `authorization_code`, a token or ID token from this endpoint `implicit`.
 */
export const responseType: AuthorizationCheck = (context) => {
  const value = context.params.get("response_type");
  if (value === undefined) throw new InvalidRequest("response_type is required");
  const type = parseResponseType(value);
  if (!type) throw new UnsupportedResponseType(`The response type ${value} is not supported`);
  const client = context.client;
  if (!client) throw new Error("the client check runs first");
  // Registered as this combination (Hydra 2.x clients register "code id_token"), or part by part.
  const registered = client.responseTypes.some((entry) => parseResponseType(entry) === type);
  const unregistered = registered
    ? []
    : type.split(" ").filter((part) => !client.responseTypes.includes(part));
  if (unregistered.length > 0) {
    throw new UnauthorizedClient(
      `The client is not registered for the response type ${unregistered.join(" ")}`,
    );
  }
  const parts = responseParts(type);
  if (parts.code && !client.grantTypes.includes("authorization_code")) {
    throw new UnauthorizedClient("The client is not registered for the authorization_code grant");
  }
  if ((parts.token || parts.idToken) && !client.grantTypes.includes("implicit")) {
    throw new UnauthorizedClient("The client is not registered for the implicit grant");
  }
  context.responseType = type;
};
