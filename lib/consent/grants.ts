import { randomUUID } from "node:crypto";
import { type Database, rawQueries } from "@/db/client.ts";
import { REMEMBERED_GRANT_ROW } from "@/lib/db/rows.ts";

/** A decision the user asked to remember: this client may have these scopes without asking again. */
interface RememberedGrant {
  id: string;
  clientId: string;
  scopes: string[];
  createdAt: Date;
  updatedAt: Date;
}

function fromRow(row: { id: string; clientId: string; scopes: string; createdAt: Date; updatedAt: Date }) {
  return { ...row, scopes: JSON.parse(row.scopes) as string[] };
}

export class GrantStore {
  constructor(private readonly db: Database) {}

  /** Read by every consent step of a signed-in person: a prepared statement, not Prisma. */
  async find(userId: string, clientId: string): Promise<RememberedGrant | null> {
    const row = await rawQueries(this.db).rowByKey(REMEMBERED_GRANT_ROW, [userId, clientId]);
    return row && fromRow(row);
  }

  /** Remembers exactly these scopes for the client, replacing an earlier decision. */
  async remember(userId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    const value = JSON.stringify([...new Set(scopes)]);
    await this.db.rememberedGrant.upsert({
      where: { userId_clientId: { userId, clientId } },
      create: { id: randomUUID(), userId, clientId, scopes: value },
      update: { scopes: value },
    });
  }

  async list(userId: string): Promise<RememberedGrant[]> {
    const rows = await this.db.rememberedGrant.findMany({
      where: { userId },
      orderBy: { updatedAt: "desc" },
    });
    return rows.map(fromRow);
  }

  /** One of the user's decisions by its id; null for another user's. */
  async get(userId: string, grantId: string): Promise<RememberedGrant | null> {
    const row = await this.db.rememberedGrant.findFirst({ where: { id: grantId, userId } });
    return row && fromRow(row);
  }

  /** Forgets one decision; a grant of another user is never touched. */
  async revoke(userId: string, grantId: string): Promise<boolean> {
    const { count } = await this.db.rememberedGrant.deleteMany({ where: { id: grantId, userId } });
    return count > 0;
  }
}
