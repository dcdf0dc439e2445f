import type { AuthorizationCheck } from "@/server/oauth2/authorize/context.ts";
import { InvalidClient, InvalidRequest } from "@/server/oauth2/errors.ts";

/** RFC 6749 §4.1.2.1: an unknown client is told to the user, never redirected. */
export const client: AuthorizationCheck = async (context) => {
  const { params, services } = context;
  if (params.repeated.has("client_id")) throw new InvalidRequest("client_id was sent more than once");
  const id = params.get("client_id");
  if (!id) throw new InvalidRequest("client_id is required");
  const found = id.length <= 255 ? await services.clients.get(id) : null;
  if (!found) throw new InvalidClient("The client is unknown");
  context.client = found;
};
