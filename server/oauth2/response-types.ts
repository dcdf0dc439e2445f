/**
 * The response types of the authorization endpoint (RFC 6749 §3.1.1, OAuth
 * 2.0 Multiple Response Type Encoding Practices §5) in canonical order, and
 * how each is delivered. Discovery publishes these lists.
 */
export const RESPONSE_TYPES_SUPPORTED = [
  "code",
  "token",
  "id_token",
  "code id_token",
  "code token",
  "id_token token",
  "code id_token token",
] as const;

export type ResponseType = (typeof RESPONSE_TYPES_SUPPORTED)[number];

export const RESPONSE_MODES_SUPPORTED = ["query", "fragment", "form_post"] as const;

export type ResponseMode = (typeof RESPONSE_MODES_SUPPORTED)[number];

const PART_ORDER = ["code", "id_token", "token"];

/** `id_token code` and `code id_token` are one response type: sorts the parts; undefined when unknown. */
export function parseResponseType(value: string): ResponseType | undefined {
  const parts = value.split(" ");
  if (new Set(parts).size !== parts.length || parts.some((part) => !PART_ORDER.includes(part))) {
    return undefined;
  }
  const canonical = parts.sort((a, b) => PART_ORDER.indexOf(a) - PART_ORDER.indexOf(b)).join(" ");
  return (RESPONSE_TYPES_SUPPORTED as readonly string[]).includes(canonical)
    ? (canonical as ResponseType)
    : undefined;
}

export function responseParts(type: ResponseType): { code: boolean; idToken: boolean; token: boolean } {
  const parts = type.split(" ");
  return {
    code: parts.includes("code"),
    idToken: parts.includes("id_token"),
    token: parts.includes("token"),
  };
}

/**
 * Multiple Response Types §2.1 and §5: `code` answers in the query, every
 * type that returns a token from this endpoint in the fragment.
 */
export function defaultResponseMode(type: ResponseType | undefined): ResponseMode {
  return type === undefined || type === "code" ? "query" : "fragment";
}

/**
 * A requested response_mode is honoured when it is one we support and it
 * does not put tokens in the query, where they would reach server logs and
 * Referer headers (Multiple Response Types §5). `form_post` carries them in
 * a POST body (OAuth 2.0 Form Post Response Mode), safe for every type.
 */
export function isSafeResponseMode(mode: ResponseMode, type: ResponseType | undefined): boolean {
  return mode !== "query" || defaultResponseMode(type) === "query";
}

export function isResponseMode(value: string | undefined): value is ResponseMode {
  return value !== undefined && (RESPONSE_MODES_SUPPORTED as readonly string[]).includes(value);
}
