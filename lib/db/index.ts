import "server-only";
import { createDatabase, type Database } from "@/db/client.ts";
import { appConfig } from "@/lib/config/index.ts";

const holder = globalThis as typeof globalThis & { porticoConsentDb?: Database };

/** One Prisma client per process, shared by every request. */
export function db(): Database {
  holder.porticoConsentDb ??= createDatabase(appConfig().databaseUrl, {
    synchronous: appConfig().sqliteSynchronous,
  });
  return holder.porticoConsentDb;
}
