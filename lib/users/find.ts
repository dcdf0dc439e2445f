import "server-only";
import { rawQueries } from "@/db/client.ts";
import { db } from "@/lib/db/index.ts";
import { USER_ROW } from "@/lib/db/rows.ts";
import type { User } from "./store.ts";

/**
 * A person's public fields by id, or null: what the consent step needs,
 * without loading the user store's password hashing and password rules
 * (the consent step runs outside Next.js too, see lib/routes.ts).
 */
export function findUser(id: string): Promise<User | null> {
  return rawQueries(db()).rowByKey(USER_ROW, id);
}
