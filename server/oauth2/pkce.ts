import { createHash } from "node:crypto";
import { constantTimeEqual } from "@/server/tokens/secrets.ts";

/** RFC 7636 §4.3: only S256 (see authorize/checks/pkce.ts for why not `plain`). Discovery publishes this. */
export const CODE_CHALLENGE_METHODS = ["S256"] as const;

/** BASE64URL(SHA-256(verifier)) is always 43 characters. */
export function isCodeChallenge(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
function isCodeVerifier(value: string): boolean {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(value);
}

/** RFC 7636 §4.6. */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!isCodeVerifier(verifier)) return false;
  return constantTimeEqual(createHash("sha256").update(verifier, "ascii").digest("base64url"), challenge);
}
