import { createLogger } from "@/common/log.ts";
import { createDatabase } from "@/db/client.ts";
import { migrate } from "@/db/migrate.ts";
import { bootstrap } from "./bootstrap.ts";
import type { Config } from "./config/config.ts";
import { createServices } from "./services.ts";

/**
 * Brings the database to this version: pending migrations, then the bootstrap
 * (root client, ID-token keys, the consent app's client and policies). Runs in
 * a short-lived child of the primary, so that the primary never holds Prisma
 * or the migration engine.
 */
export async function setup(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const applied = await migrate(config.databaseUrl);
  if (applied.length > 0) log.info("applied migrations", { migrations: applied });
  const db = createDatabase(config.databaseUrl, { synchronous: config.sqliteSynchronous });
  try {
    await bootstrap(createServices(config, db, log));
  } finally {
    await db.$disconnect();
  }
}
