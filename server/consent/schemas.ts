import { z } from "zod";
import { freshSignInBound, type OidcContext, STEP_ERRORS } from "@/server/flow/model.ts";
import { dataRecord, PROTO_KEY } from "@/server/http/body.ts";

/** The bounds of `accessTokenExtra` and `idTokenExtra` each: they go into every token of the grant. */
const MAX_EXTRA_DEPTH = 32;
const MAX_EXTRA_BYTES = 16 * 1024;

/**
 * What makes an extra unfit to keep, if anything: nesting deeper than
 * MAX_EXTRA_DEPTH (the extra itself is level 1; issuing tokens from deeper
 * claims overflows the stack after the grant is written) or a `__proto__` key
 * at any level. Recursion stops at the bound.
 */
function extraShapeProblem(value: unknown, depth = 1): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (depth > MAX_EXTRA_DEPTH) return `may be nested at most ${MAX_EXTRA_DEPTH} levels deep`;
  for (const [key, item] of Object.entries(value)) {
    if (key === PROTO_KEY) return `may not hold the key "${PROTO_KEY}"`;
    const problem = extraShapeProblem(item, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Extra claims for a grant's tokens, as either face's consent accept takes
 * them (the 2017 `accessTokenExtra`/`idTokenExtra`, Hydra 2.x's
 * `session.access_token`/`session.id_token`): a JSON object within the bounds above.
 */
export const tokenExtraClaims = dataRecord(z.unknown()).superRefine((value, ctx) => {
  const problem = extraShapeProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
  else if (Buffer.byteLength(JSON.stringify(value)) > MAX_EXTRA_BYTES)
    ctx.addIssue({ code: "custom", message: `may be at most ${MAX_EXTRA_BYTES} bytes as JSON` });
});

const extra = tokenExtraClaims.nullish().transform((value) => value ?? {});

/** RFC 8176 method names and ACR values: printable ASCII without spaces. */
const token = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/, "must be 1 to 255 printable characters without spaces");

/**
 * acceptConsentRequestPayload. Unknown fields are dropped; null reads as absent (the 2017 SDK sends it).
 * `authTime`, `amr`, `acr` and `sid` are additions: the sign-in the decision rests on, which a 2017
 * consent app performs itself and only it can tell.
 */
export const acceptConsentRequestPayload = z.object({
  // Printable ASCII, as the subject operations take it (GET/DELETE /oauth2/auth/sessions/consent/{subject}
  // and the rest name it in warden resources): a grant for any other subject could not be revoked.
  subject: z
    .string()
    .min(1, "subject is required")
    .max(255)
    .regex(/^[\x20-\x7e]+$/, "subject must be printable ASCII (the subject operations take no other)"),
  grantScopes: z
    .array(z.string().min(1).max(255))
    .max(200)
    .nullish()
    .transform((value) => [...new Set(value ?? [])]),
  accessTokenExtra: extra,
  idTokenExtra: extra,
  // Not before the Unix epoch: auth_time is seconds since it, and a year 0 (which RFC 3339 allows) was
  // stored with the grant, which PostgreSQL refuses (the browser then got server_error).
  authTime: z.iso
    .datetime({ offset: true, message: "authTime must be an RFC 3339 date-time" })
    .refine((value) => Date.parse(value) >= 0, "authTime must not be before 1970-01-01T00:00:00Z")
    .nullish()
    .transform((value) => (value ? new Date(value) : undefined)),
  amr: z
    .array(token)
    .max(10)
    .nullish()
    .transform((value) => [...new Set(value ?? [])]),
  acr: token.nullish().transform((value) => value ?? undefined),
  sid: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{8,128}$/, "sid must be 8 to 128 URL-safe characters")
    .nullish()
    .transform((value) => value ?? undefined),
});

export type AcceptConsentRequestPayload = z.output<typeof acceptConsentRequestPayload>;

/** rejectConsentRequestPayload. */
export const rejectConsentRequestPayload = z.object({
  reason: z
    .string()
    .max(1024)
    .nullish()
    .transform((value) => value ?? ""),
  /** Addition: the error the client is told (prompt=none answers login_required, consent_required …). */
  error: z
    .enum(STEP_ERRORS, `error must be one of ${STEP_ERRORS.join(", ")}`)
    .nullish()
    .transform((value) => value ?? "access_denied"),
});

/** oAuth2consentRequest as the API answers it; `expiresAt` is RFC 3339. */
export interface OAuth2ConsentRequestWire {
  id: string;
  audience: string;
  requestedScopes: string[];
  redirectUrl: string;
  expiresAt: string;
  prompt?: string[];
  maxAge?: number;
  loginHint?: string;
  idTokenHintSubject?: string;
  uiLocales?: string[];
  acrValues?: string[];
  requestedAt?: string;
}

/**
 * The OpenID Connect additions to oAuth2consentRequest: what the consent
 * app, which signs people in itself, must know of the authorization request.
 * Each appears only when the request carried it, so a plain request reads
 * exactly as in 2017. `requestedAt` comes with prompt=login, max_age and
 * select_account: a sign-in at or after it (less max_age) is fresh enough,
 * and one made after it chose an account.
 */
export function oidcWireFields(request: { oidc: OidcContext; requestedAt: Date }) {
  const { oidc } = request;
  return {
    ...(oidc.prompt.length > 0 ? { prompt: oidc.prompt } : {}),
    ...(oidc.maxAge !== undefined ? { maxAge: oidc.maxAge } : {}),
    ...(oidc.loginHint !== undefined ? { loginHint: oidc.loginHint } : {}),
    ...(oidc.idTokenHint ? { idTokenHintSubject: oidc.idTokenHint.subject } : {}),
    ...(oidc.uiLocales.length > 0 ? { uiLocales: oidc.uiLocales } : {}),
    ...(oidc.acrValues.length > 0 ? { acrValues: oidc.acrValues } : {}),
    ...(freshSignInBound(oidc) !== undefined || oidc.prompt.includes("select_account")
      ? { requestedAt: request.requestedAt.toISOString() }
      : {}),
  };
}

/**
 * Addition: `GET /oauth2/consent/requests/{id}/decision`, what a decided
 * request that the browser has not used yet was answered, and where the
 * browser goes with it.
 */
export type ConsentDecisionWire =
  | { status: "accepted"; subject: string; grantScopes: string[]; redirectUrl: string }
  | { status: "rejected"; error: string; redirectUrl: string };
