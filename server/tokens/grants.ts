import { type Database, rawQueries } from "@/db/client.ts";
import { insertRow, type Write } from "@/db/raw.ts";
import { AUTHORIZATION_GRANT_ROW } from "@/db/rows.ts";
import type { SignIn } from "@/server/flow/model.ts";
import { splitScopes } from "@/server/oauth2/scopes.ts";

/** What one accepted authorization issued, shared by every code and token of it (its grant id). */
interface AuthorizationGrantRecord {
  grantId: string;
  clientId: string;
  subject: string;
  scopes: string[];
  signIn: SignIn;
  /** The claims the person consented to: the ID token's, and what UserInfo answers. */
  claims: Record<string, unknown>;
  /** The access-token audience granted (Hydra 2.x's grant_access_token_audience); empty otherwise. */
  audience: string[];
  /** The consent request it came from (Hydra 2.x's consent_request_id); null on grants issued before it was kept. */
  consentRequestId: string | null;
  createdAt: Date;
}

/**
 * Authorization grants: written in the transaction that answers an accepted
 * authorization request. A grant outlives the code that started it, so an ID
 * token issued on a refresh repeats the first one's auth_time, amr, acr and
 * sid; UserInfo reads the consented claims from it; back-channel logout finds
 * the clients a session signed in to by its sid. Rows go with their tokens
 * (housekeeping) and with their client.
 */
export class AuthorizationGrants {
  constructor(private readonly db: Database) {}

  /** Storing a grant, as a write of the transaction that answers the authorization request. */
  insert(
    grant: Omit<AuthorizationGrantRecord, "createdAt" | "audience" | "consentRequestId"> & {
      audience?: string[];
      consentRequestId?: string;
    },
  ): Write {
    return insertRow(AUTHORIZATION_GRANT_ROW, {
      grantId: grant.grantId,
      clientId: grant.clientId,
      subject: grant.subject,
      scopes: grant.scopes.join(" "),
      sid: grant.signIn.sid ?? null,
      authTime: grant.signIn.authTime,
      amr: JSON.stringify(grant.signIn.amr),
      acr: grant.signIn.acr ?? null,
      claims: JSON.stringify(grant.claims),
      createdAt: new Date(),
      audience: (grant.audience ?? []).join(" "),
      consentRequestId: grant.consentRequestId ?? null,
    });
  }

  async find(grantId: string): Promise<AuthorizationGrantRecord | null> {
    const row = await rawQueries(this.db).rowByKey(AUTHORIZATION_GRANT_ROW, grantId);
    if (!row) return null;
    return {
      grantId: row.grantId,
      clientId: row.clientId,
      subject: row.subject,
      scopes: splitScopes(row.scopes),
      signIn: {
        authTime: row.authTime,
        amr: JSON.parse(row.amr) as string[],
        ...(row.acr ? { acr: row.acr } : {}),
        ...(row.sid ? { sid: row.sid } : {}),
      },
      claims: JSON.parse(row.claims) as Record<string, unknown>,
      audience: splitScopes(row.audience),
      consentRequestId: row.consentRequestId,
      createdAt: row.createdAt,
    };
  }

  /** The clients a session signed in to, or (without a sid) every client of the subject, with their sessions. */
  async sessionsOf(where: {
    sid?: string;
    subject?: string;
  }): Promise<{ clientId: string; subject: string; sid: string | null }[]> {
    if (!where.sid && !where.subject) return [];
    const rows = await this.db.authorizationGrant.findMany({
      where: {
        ...(where.sid ? { sid: where.sid } : {}),
        ...(where.subject ? { subject: where.subject } : {}),
      },
      select: { clientId: true, subject: true, sid: true },
      distinct: ["clientId", "subject", "sid"],
    });
    return rows;
  }
}
