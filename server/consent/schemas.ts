import { z } from "zod";

const extra = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((value) => value ?? {});

/** acceptConsentRequestPayload. Unknown fields are dropped; null reads as absent (the 2017 SDK sends it). */
export const acceptConsentRequestPayload = z.object({
  subject: z.string().min(1, "subject is required").max(255),
  grantScopes: z
    .array(z.string().min(1).max(255))
    .max(200)
    .nullish()
    .transform((value) => [...new Set(value ?? [])]),
  accessTokenExtra: extra,
  idTokenExtra: extra,
});

export type AcceptConsentRequestPayload = z.output<typeof acceptConsentRequestPayload>;

/** rejectConsentRequestPayload. */
export const rejectConsentRequestPayload = z.object({
  reason: z
    .string()
    .max(1024)
    .nullish()
    .transform((value) => value ?? ""),
});

/** oAuth2consentRequest as the API answers it; `expiresAt` is RFC 3339. */
export interface OAuth2ConsentRequestWire {
  id: string;
  audience: string;
  requestedScopes: string[];
  redirectUrl: string;
  expiresAt: string;
}
