import type { OAuth2Client } from "@/lib/hydra/schemas.ts";

/** The way back to an app: its name and its own address. */
export interface WayBack {
  name: string;
  url: string;
}

/**
 * The way back to an app a request was answered for: its `client_uri`, only an http(s) one, with its
 * name (else the address's host). Shared by the answered-request page (ConsentProblem.backTo) and the
 * consent form's refusal when the request was answered meanwhile, so no server-only import here.
 */
export function wayBackTo(client: OAuth2Client | undefined): WayBack | undefined {
  const url = client?.client_uri;
  if (!client || !url || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return undefined;
  return { name: client.client_name || new URL(url).host, url };
}
