import type { Context } from "hono";
import { scopeAllowed } from "@/server/oauth2/scopes.ts";
import type { AccessTokenRecord } from "@/server/tokens/access-tokens.ts";
import { ApiError } from "./errors.ts";
import type { Snapshot } from "./snapshot.ts";

/** One question to the warden (ladon's AccessRequest). */
export interface AccessRequest {
  subject: string;
  resource: string;
  action: string;
  context: Record<string, unknown>;
}

export interface Warden {
  /** `snapshot`: the request's, whose policy revision validates the kept policies. */
  isAllowed(request: AccessRequest, snapshot?: Snapshot): Promise<boolean>;
}

/** What an admin operation requires: the scope, resource and action Hydra's API documents for it. */
export interface Requirement {
  scope: string;
  resource: string;
  action: string;
  /**
   * The warden's context, or a function computing it once the token is
   * known (e.g. the client's owner, read after the token so that the
   * request's snapshot already holds the client revision).
   */
  context?: Record<string, unknown> | (() => Promise<Record<string, unknown>>);
}

type Guard = (c: Context, requirement: Requirement) => Promise<AccessTokenRecord>;

function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Guards an admin call: the bearer token must be an active access token
 * carrying the operation's scope, and the warden must allow its subject the
 * operation's resource and action. No or invalid token → 401; a token without the scope, or a subject the
 * warden does not allow → 403.
 */
export function createGuard(warden: Warden): Guard {
  return async (c, { scope, resource, action, context = {} }) => {
    const snapshot = c.var.snapshot;
    const presented = bearerToken(c);
    const token = presented ? await snapshot.token(presented) : null;
    if (!token) throw ApiError.unauthorized();
    if (!scopeAllowed(token.scopes, scope)) {
      throw ApiError.forbidden(`The access token lacks the scope ${scope}`);
    }
    const request = {
      subject: token.subject,
      resource,
      action,
      context: typeof context === "function" ? await context() : context,
    };
    const allowed = await warden.isAllowed(request, snapshot);
    if (!allowed) throw ApiError.forbidden(`${token.subject} may not ${action} ${resource}`);
    return token;
  };
}

/**
 * Whether the warden lets the anonymous subject "" meet a requirement: what
 * decides a public resource when no token may (Hydra's anonymous check).
 */
export async function allowsAnonymous(
  warden: Warden,
  { resource, action, context = {} }: Requirement,
  snapshot: Snapshot,
): Promise<boolean> {
  const resolved = typeof context === "function" ? await context() : context;
  return warden.isAllowed({ subject: "", resource, action, context: resolved }, snapshot);
}

/**
 * For public resources (the ID-token public key): the token check as above,
 * and when it fails for any reason, the warden's answer for the anonymous
 * subject "" decides — as Hydra fell back to the anonymous check.
 */
export function createPublicGuard(warden: Warden) {
  const guard = createGuard(warden);
  return async (c: Context, requirement: Requirement): Promise<boolean> => {
    // Without a bearer token the guard could only refuse: ask about the anonymous subject at once.
    const anonymous = () => allowsAnonymous(warden, requirement, c.var.snapshot);
    if (!bearerToken(c)) return anonymous();
    try {
      await guard(c, requirement);
      return true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return anonymous();
    }
  };
}
