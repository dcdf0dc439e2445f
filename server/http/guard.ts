import type { Context } from "hono";
import type { Revisions } from "@/db/raw.ts";
import { scopeAllowed } from "@/server/oauth2/scopes.ts";
import type { AccessTokenRecord } from "@/server/tokens/access-tokens.ts";
import { ApiError } from "./errors.ts";

/** One question to the warden (ladon's AccessRequest). */
export interface AccessRequest {
  subject: string;
  resource: string;
  action: string;
  context: Record<string, unknown>;
}

export interface Warden {
  /** `policyRevision`: the policy revision read from the database in this request, if any. */
  isAllowed(request: AccessRequest, policyRevision?: number): Promise<boolean>;
}

export interface TokenLookup {
  findActive(token: string): Promise<AccessTokenRecord | null>;
  /** The token with the revisions read in the same statement (one round trip for the whole guard). */
  findActiveWithRevisions?(
    token: string,
  ): Promise<{ token: AccessTokenRecord | null; revisions: Revisions | undefined }>;
}

/** What an admin operation requires, exactly as HydraApi.md states it. */
export interface Requirement {
  scope: string;
  resource: string;
  action: string;
  /**
   * The warden's context, or a function computing it once the token is
   * known, given the revisions read with the token (e.g. the client's owner
   * from ClientStore.get(id, revisions?.clientRevision)).
   */
  context?:
    | Record<string, unknown>
    | ((revisions: Revisions | undefined) => Promise<Record<string, unknown>>);
}

export type Guard = (c: Context, requirement: Requirement) => Promise<AccessTokenRecord>;

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Guards an admin call (CONTRACT.md, "Access control on the admin API"):
 * no or invalid token → 401; a token without the scope, or a subject the
 * warden does not allow → 403.
 */
export function createGuard(tokens: TokenLookup, warden: Warden): Guard {
  return async (c, { scope, resource, action, context = {} }) => {
    const presented = bearerToken(c);
    let token: AccessTokenRecord | null = null;
    let revisions: Revisions | undefined;
    if (presented && tokens.findActiveWithRevisions) {
      ({ token, revisions } = await tokens.findActiveWithRevisions(presented));
    } else if (presented) token = await tokens.findActive(presented);
    if (!token) throw ApiError.unauthorized();
    if (!scopeAllowed(token.scopes, scope)) {
      throw ApiError.forbidden(`The access token lacks the scope ${scope}`);
    }
    const request = {
      subject: token.subject,
      resource,
      action,
      context: typeof context === "function" ? await context(revisions) : context,
    };
    const allowed = await warden.isAllowed(request, revisions?.policyRevision);
    if (!allowed) throw ApiError.forbidden(`${token.subject} may not ${action} ${resource}`);
    return token;
  };
}

/**
 * For public resources (the ID-token public key): the token check as above,
 * and when it fails for any reason, the warden's answer for the anonymous
 * subject "" decides — as Hydra fell back to the anonymous check.
 */
export function createPublicGuard(tokens: TokenLookup, warden: Warden) {
  const guard = createGuard(tokens, warden);
  return async (c: Context, requirement: Requirement): Promise<boolean> => {
    // Without a bearer token the guard could only refuse: ask about the anonymous subject at once.
    const anonymous = async () => {
      const { resource, action, context = {} } = requirement;
      const resolved = typeof context === "function" ? await context(undefined) : context;
      return warden.isAllowed({ subject: "", resource, action, context: resolved });
    };
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
