import { domainToASCII } from "node:url";
import { z } from "zod";

/**
 * An internationalised domain in its ASCII (punycode) form, the form browsers
 * send from an email field (`anna@bücher.example` arrives as
 * `anna@xn--bcher-kva.example`): typed either way, or where no browser
 * converts it (the deletion confirmation, a text field; `npm run users`), it
 * is one address. An ASCII domain, and a domain that is no valid host, stay
 * as they are.
 */
function asciiDomain(email: string): string {
  const at = email.lastIndexOf("@");
  const domain = email.slice(at + 1);
  if (at < 0 || !/[^\p{ASCII}]/u.test(domain)) return email;
  const ascii = domainToASCII(domain);
  return ascii === "" ? email : `${email.slice(0, at)}@${ascii}`;
}

/**
 * One spelling per address, so "Ann@Example.com " and "ann@example.com" are
 * the same account: Unicode NFC, trimmed, lower-cased, an internationalised
 * domain in punycode.
 */
export function normalizeEmail(email: string): string {
  return asciiDomain(email.normalize("NFC").trim()).toLowerCase();
}

/** An email address as people type it, normalised. */
export const emailAddress = z
  .string()
  .trim()
  .min(1, "Enter your email address")
  .max(254, "That email address is too long")
  .transform(asciiDomain)
  // Punycode is longer than the Unicode it spells.
  .pipe(z.email("Enter a valid email address").max(254, "That email address is too long"))
  .transform(normalizeEmail);
