import "server-only";
import { ownListener } from "@/common/own-listener.ts";
import { type AppConfig, loadAppConfig } from "./env.ts";

let config: AppConfig | undefined;
/** The embedded server's listener when the configuration was parsed (see common/own-listener.ts). */
let parsedWith: string | undefined;

/**
 * The configuration, parsed on first use and kept for the life of the
 * process — parsed again, once, should it have been read before the server
 * in this process said where it listens.
 */
export function appConfig(): AppConfig {
  const listener = ownListener();
  if (!config || listener !== parsedWith) {
    config = loadAppConfig();
    parsedWith = listener;
  }
  return config;
}

export type { AppConfig } from "./env.ts";
