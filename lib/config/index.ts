import "server-only";
import { type AppConfig, loadAppConfig } from "./env.ts";

let config: AppConfig | undefined;

/** The configuration, parsed on first use and kept for the life of the process. */
export function appConfig(): AppConfig {
  config ??= loadAppConfig();
  return config;
}

export type { AppConfig } from "./env.ts";
