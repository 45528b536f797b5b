// Process entry of the aggregator (npm run start:aggregator, node dist/aggregator.js): config, logs, fold loop, health
// endpoint and CloudWatch figures when configured, graceful stop on signals.
import { loadConfigOrExit } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { closeRedis, createRedis } from "../core/redis.js";
import { checkRedisAtStart, RedisStartupError } from "../core/redis-startup.js";
import { startAggregator } from "./aggregator.js";
import { startAggregatorEmf } from "./cloudwatch-metrics.js";
import { startAggregatorHealth } from "./health-server.js";

const config = loadConfigOrExit();
const logger = createLogger("aggregator", config.logLevel);

process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));

/** Settings that cannot work (credentials, TLS, eviction policy): say so and stop, as for invalid configuration. */
function exitOnRedisProblem(err: unknown): never {
  if (!(err instanceof RedisStartupError)) throw err;
  logger.fatal({ code: err.code }, err.message);
  process.exit(78);
}

const redis = createRedis(config, { name: "aggregator" });
redis.on("error", () => undefined); // logged by the fold loop (throttled) once it runs
await checkRedisAtStart(redis, config, {
  refuseEviction: true,
  warn: (message) => logger.warn(message),
  onLateProblem: (err) => exitOnRedisProblem(err),
}).catch((err: unknown) => exitOnRedisProblem(err));

const aggregator = await startAggregator({ config, logger, redis });
const health =
  config.aggregatorPort === undefined ? undefined : await startAggregatorHealth(config.host, config.aggregatorPort, aggregator, logger);
const emf = startAggregatorEmf(config, aggregator);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "stopping");
    emf?.stop();
    // Release the lease on the way out so a standby takes over at its next tick instead of after the lease lapses.
    aggregator
      .stop()
      // A last line after the release says Leader 0, so the no-leader alarm sees the standby take over, not a gap.
      .then(() => emf?.publish())
      .then(() => Promise.all([closeRedis(redis), health?.close()]))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, "stop failed");
          process.exit(1);
        },
      );
  });
}
