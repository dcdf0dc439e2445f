/** Runs once when the Next.js server starts, before it serves a request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { checkConfiguration } = await import("./lib/config/startup.ts");
    checkConfiguration();
    // Next.js reports failed pages and refused requests on the console: as JSON lines, like the rest.
    const [{ routeConsoleToLog }, { log }] = await Promise.all([
      import("./lib/log/console.ts"),
      import("./lib/log/index.ts"),
    ]);
    routeConsoleToLog(log());
    const { scheduleAppPurge } = await import("./lib/housekeeping/schedule.ts");
    scheduleAppPurge();
  }
}
