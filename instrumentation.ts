/** Runs once when the Next.js server starts, before it serves a request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { checkConfiguration } = await import("./lib/config/startup.ts");
    checkConfiguration();
    const { scheduleAppPurge } = await import("./lib/housekeeping/schedule.ts");
    scheduleAppPurge();
  }
}
