import type { Hono } from "hono";
import type { Services } from "@/server/services.ts";

export function healthRoutes(api: Hono, { guard, stats }: Services) {
  // public
  api.get("/health", (c) => c.json({ status: "ok" }));

  // scope hydra.health · rn:hydra:health:stats · get
  api.get("/health/stats", async (c) => {
    await guard(c, { scope: "hydra.health", resource: "rn:hydra:health:stats", action: "get" });
    return c.json(stats.snapshot());
  });
}
