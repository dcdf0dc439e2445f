import "server-only";
import { type Database, sharedDatabase } from "@/db/client.ts";
import { appConfig } from "@/lib/config/index.ts";

/**
 * The app's database: one per process, shared by every request (and with
 * the server when both run in one process on the same DATABASE_URL).
 */
export function db(): Database {
  return sharedDatabase(appConfig().databaseUrl, { synchronous: appConfig().sqliteSynchronous });
}
