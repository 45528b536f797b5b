// Structured JSON logging (pino), one logger per component; secrets are redacted.
import { type Logger, pino } from "pino";

export type { Logger };

export function createLogger(component: string, level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    name: component,
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
      "headers.authorization",
      "headers.x-signature",
    ],
  });
}
