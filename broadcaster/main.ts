// Process entry of the broadcaster (npm run start:broadcaster): config, logs, uWS server, graceful close on signals.
import { loadConfigOrExit } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { RedisStartupError } from "../core/redis-startup.js";
import { startBroadcaster } from "./server.js";

const config = loadConfigOrExit();
const logger = createLogger("broadcaster", config.logLevel);

process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));

let broadcaster: Awaited<ReturnType<typeof startBroadcaster>>;
try {
  broadcaster = await startBroadcaster({ config, logger });
} catch (err) {
  if (err instanceof RedisStartupError) {
    logger.fatal({ code: err.code }, err.message);
    process.exit(78);
  }
  logger.fatal({ err }, "broadcaster failed to start");
  process.exit(1);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "closing");
    broadcaster.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "close failed");
        process.exit(1);
      },
    );
  });
}
