import type { OAuth2ClientWire } from "./schemas.ts";

/** A client as the server holds it: the wire fields plus the secret's hash. */
export interface Client {
  id: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  /** Allowed scopes, split; matched with the wildcard strategy. */
  scopes: string[];
  owner: string;
  policyUri: string;
  tosUri: string;
  clientUri: string;
  logoUri: string;
  contacts: string[];
  public: boolean;
  updatedAt: Date;
}

export function toWire(client: Client): OAuth2ClientWire {
  return {
    id: client.id,
    client_name: client.name,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    scope: client.scopes.join(" "),
    owner: client.owner,
    policy_uri: client.policyUri,
    tos_uri: client.tosUri,
    client_uri: client.clientUri,
    logo_uri: client.logoUri,
    contacts: client.contacts,
    public: client.public,
  };
}
