import { brand } from "@/lib/brand/brand.ts";

/** A requested scope as the consent screen shows it. */
export interface ScopeDescription {
  scope: string;
  title: string;
  description: string;
}

const KNOWN: Record<string, Omit<ScopeDescription, "scope">> = {
  openid: {
    title: "Sign you in",
    description: `Confirm who you are with your ${brand.name} account.`,
  },
  offline: {
    title: "Stay connected",
    description: "Keep access while you are away, until you revoke it.",
  },
  offline_access: {
    title: "Stay connected",
    description: "Keep access while you are away, until you revoke it.",
  },
  profile: {
    title: "Your name",
    description: "See the name on your profile and when your account last changed.",
  },
  email: {
    title: "Your email address",
    description: "See your email address.",
  },
};

/** Plain-language descriptions; a scope this app does not know is shown by its name alone. */
export function describeScope(scope: string): ScopeDescription {
  const known = Object.hasOwn(KNOWN, scope) ? KNOWN[scope] : undefined;
  return known ? { scope, ...known } : { scope, title: scope, description: "" };
}

/** The scopes to grant: the ones ticked, but only among those the request asked for. */
export function scopesToGrant(requested: readonly string[], ticked: readonly string[]): string[] {
  const chosen = new Set(ticked);
  return requested.filter((scope) => chosen.has(scope));
}

/** Whether a remembered decision covers a request: every requested scope was granted before. */
export function coveredBy(requested: readonly string[], remembered: readonly string[]): boolean {
  const granted = new Set(remembered);
  return requested.every((scope) => granted.has(scope));
}
