import type { Hono } from "hono";
import { readVersion } from "@/server/hydra2/version.ts";
import type { Services } from "@/server/services.ts";

export function healthRoutes(api: Hono, { db, log }: Services) {
  // isAlive: the process answers.
  api.get("/health/alive", (c) => c.json({ status: "ok" }));

  // isReady: the process answers and its database does.
  api.get("/health/ready", async (c) => {
    try {
      await db.$queryRawUnsafe("SELECT 1");
      return c.json({ status: "ok" });
    } catch (error) {
      log.warn("readiness check: the database does not answer", {
        error: error instanceof Error ? error.name : "unknown",
      });
      return c.json({ errors: { database: "The database does not answer" } }, 503);
    }
  });

  // getVersion
  api.get("/version", (c) => c.json({ version: readVersion() }));
}
