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
  /** A trusted first-party client: consent is answered without a screen. */
  skipConsent: boolean;
  postLogoutRedirectUris: string[];
  /** "" when the client takes no logout tokens. */
  backchannelLogoutUri: string;
  backchannelLogoutSessionRequired: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Audiences the client may request (Hydra 2.x); the 2017 API neither shows nor sets them. */
  audience: string[];
  /**
   * How a confidential client authenticates at the token endpoint (Hydra
   * 2.x): `client_secret_basic` or `client_secret_post`; undefined (clients
   * of the 2017 API) accepts both. A public client's method is `none`.
   */
  tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post" | undefined;
  /** Free-form JSON the 2.x API stores with the client; undefined when none was set. */
  metadata: unknown;
}

/** The Hydra 2.x fields the 2017 API cannot carry; a 2017 write leaves them as they are. */
export interface ClientExtensions {
  audience: string[];
  tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post" | undefined;
  metadata: unknown;
}

/**
 * What a consent screen shows of a client, as the consent request carries it:
 * its name, links and logo, and whether it is trusted (skip_consent) — never
 * its secret, owner, redirect URIs or contacts.
 */
export function consentScreenFields(client: Client) {
  return {
    id: client.id,
    client_name: client.name,
    client_uri: client.clientUri,
    logo_uri: client.logoUri,
    policy_uri: client.policyUri,
    tos_uri: client.tosUri,
    ...(client.skipConsent ? { skip_consent: true } : {}),
  };
}

/**
 * The OpenID Connect fields are additions to the 2017 model: each appears
 * only when set, so a client that uses none of them reads exactly as before.
 */
export function toWire(client: Client): OAuth2ClientWire {
  const wire: OAuth2ClientWire = {
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
  if (client.skipConsent) wire.skip_consent = true;
  if (client.postLogoutRedirectUris.length > 0)
    wire.post_logout_redirect_uris = client.postLogoutRedirectUris;
  if (client.backchannelLogoutUri) wire.backchannel_logout_uri = client.backchannelLogoutUri;
  if (client.backchannelLogoutSessionRequired) wire.backchannel_logout_session_required = true;
  return wire;
}
