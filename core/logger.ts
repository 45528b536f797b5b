// Structured JSON logging (pino), one logger per component; secrets are redacted.
import { type Logger, pino } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** Fields added to every line at the time it is logged (e.g. the Lambda request id of the invocation running). */
  readonly mixin?: () => Record<string, unknown>;
}

export function createLogger(component: string, level: string = process.env.LOG_LEVEL ?? "info", options: LoggerOptions = {}): Logger {
  return pino({
    name: component,
    ...(options.mixin === undefined ? {} : { mixin: options.mixin }),
    level,
    base: { component, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: [
      "secret",
      "*.secret",
      "ingestSecret",
      "*.ingestSecret",
      "dashboardToken",
      "*.dashboardToken",
      "redisPassword",
      "*.redisPassword",
      "headers.authorization",
      "headers.x-signature",
    ],
  });
}
