import "server-only";
import { appConfig } from "../config/index.ts";
import { createLogger, type Logger } from "./log.ts";

let logger: Logger | undefined;

export function log(): Logger {
  logger ??= createLogger(appConfig().logLevel);
  return logger;
}

export { describeError } from "./log.ts";
