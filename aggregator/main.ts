// Process entry of the aggregator (npm run start:aggregator): config, logs, fold loop, graceful stop on signals.
import { loadConfigOrExit } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { startAggregator } from "./aggregator.js";

const config = loadConfigOrExit();
const logger = createLogger("aggregator", config.logLevel);

process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));

const aggregator = await startAggregator({ config, logger });

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "stopping");
    // Release the lease on the way out so a standby takes over at its next tick instead of after the lease lapses.
    aggregator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "stop failed");
        process.exit(1);
      },
    );
  });
}
