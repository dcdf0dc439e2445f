import "server-only";
import { z } from "zod";
import { withDeadline } from "@/common/deadline.ts";
import { appConfig } from "@/lib/config/index.ts";

/** `introspectOAuth2TokenResponsePayload`: `active` is required, the rest is shown as it came. */
const introspection = z.looseObject({ active: z.boolean() });
export type Introspection = z.output<typeof introspection>;

/**
 * Asks Portico about the demo's access token (RFC 7662), authenticating as
 * the demo client, exactly as a resource server would.
 */
export async function introspect(accessToken: string): Promise<Introspection> {
  const { issuer, demo } = appConfig();
  if (!demo) throw new Error("the demo relying party is off");
  const credentials = Buffer.from(
    `${encodeURIComponent(demo.clientId)}:${encodeURIComponent(demo.clientSecret)}`,
  ).toString("base64");
  // withDeadline, not AbortSignal.timeout: that timer would keep this page's request alive for 10 s.
  return withDeadline(10_000, async (signal) => {
    const response = await fetch(`${issuer}/oauth2/introspect`, {
      method: "POST",
      headers: {
        authorization: `Basic ${credentials}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ token: accessToken }),
      signal,
    });
    if (!response.ok) throw new Error(`introspection answered ${response.status}`);
    return introspection.parse(await response.json());
  });
}
