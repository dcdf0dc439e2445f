import "server-only";
import { createLogger, type Logger } from "@/common/log.ts";
import { appConfig } from "@/lib/config/index.ts";

let logger: Logger | undefined;

export function log(): Logger {
  logger ??= createLogger(appConfig().logLevel, "consent");
  return logger;
}

export { describeError } from "@/common/log.ts";
