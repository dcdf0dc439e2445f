import { ConfigError, loadAppConfig } from "./env.ts";

/**
 * Checks the consent app's configuration at start, so that a bad value
 * (TRUST_PROXY, HYDRA_URL, a short COOKIE_SECRET…) stops the process with one
 * line naming the variable instead of failing every page. Next.js only logs
 * what instrumentation's `register` throws, hence the explicit exit.
 */
export function checkConfiguration(): void {
  try {
    loadAppConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(1);
  }
}
