// Aggregator entry for code: startAggregator() runs the fold loop in-process (tests, the one-machine stack, main.ts).
import type { Registry } from "prom-client";
import type { Config } from "../core/config.js";
import { createLogger, type Logger } from "../core/logger.js";
import { closeRedis, createRedis, onReconnect, type RedisClient } from "../core/redis.js";
import { openStore } from "../core/store/index.js";
import { withTimeout } from "../core/timeout.js";
import { FoldLoop, type FoldLoopStats } from "./fold-loop.js";
import { HistoryRecorder } from "./history.js";
import { LeaderLease } from "./lease.js";
import { createAggregatorMetrics } from "./metrics.js";
import { milestoneWebhook } from "./milestone-webhook.js";
import { ThrottledLog } from "./throttled-log.js";

/** Renewed every fold tick, so with 100 ms folds the lease survives ~20 missed renewals. */
export const defaultLeaseMs = 2000;
const releaseTimeoutMs = 1000;

export interface AggregatorOptions {
  readonly config: Config;
  readonly logger?: Logger;
  /** A client to use instead of creating one; the caller keeps ownership and closes it. */
  readonly redis?: RedisClient;
  readonly leaseMs?: number;
  /** Registry for the aggregator's metrics; a fresh one by default. */
  readonly registry?: Registry;
}

export interface AggregatorStats extends FoldLoopStats {
  /** Times the Redis connection was lost and re-established since start (a failover is one). */
  readonly redisReconnects: number;
}

export interface Aggregator {
  /** Stops folding, releases the lease (a standby takes over at its next tick), closes its own Redis client. */
  stop(): Promise<void>;
  isLeader(): boolean;
  stats(): AggregatorStats;
  /** Lease token: unique per aggregator instance. */
  readonly token: string;
  readonly registry: Registry;
}

export async function startAggregator(options: AggregatorOptions): Promise<Aggregator> {
  const { config } = options;
  const logger = options.logger ?? createLogger("aggregator", config.logLevel);
  const ownsRedis = options.redis === undefined;
  const redis = options.redis ?? createRedis(config, { name: "aggregator" });
  const errors = new ThrottledLog(logger);
  const onRedisError = (err: Error) => errors.error("redis", err, "Redis connection error", "warn");
  redis.on("error", onRedisError);

  const store = openStore(redis, config);
  const lease = new LeaderLease(store.lease, config.campaign, options.leaseMs ?? defaultLeaseMs);
  const metrics = createAggregatorMetrics(options.registry);
  let redisReconnects = 0;
  const offReconnect = onReconnect(redis, () => {
    redisReconnects++;
    metrics.redisReconnects.inc();
  });
  const loop = new FoldLoop({ config, store, lease, logger, errors, metrics });
  const isLeader = () => loop.isLeader();
  const onMilestone = config.milestoneWebhookUrl ? milestoneWebhook(config.milestoneWebhookUrl, config.campaign, logger) : undefined;
  const history = new HistoryRecorder({
    store,
    campaign: config.campaign,
    leaseToken: lease.token,
    isLeader,
    milestoneStep: config.milestoneStep,
    logger,
    onMilestone,
  });
  logger.info(
    {
      campaign: config.campaign,
      shards: config.shards,
      foldIntervalMs: config.foldIntervalMs,
      heartbeatMs: config.heartbeatMs,
      token: lease.token,
    },
    "aggregator starting",
  );

  // One tick before returning: a started aggregator has tried the lease and, as leader, published once.
  await loop.tick();
  loop.start();
  history.start();

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await history.stop();
    await loop.stop();
    if (lease.held) {
      const released = await withTimeout(lease.release(), releaseTimeoutMs, () => new Error("release timed out")).catch(() => false);
      logger.info({ released }, released ? "lease released" : "lease not released; it lapses on its own");
    }
    if (ownsRedis) await closeRedis(redis);
    redis.off("error", onRedisError);
    offReconnect();
    logger.info("aggregator stopped");
  };

  return {
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
    isLeader: () => loop.isLeader(),
    stats: () => ({ ...loop.stats(), redisReconnects }),
    token: lease.token,
    registry: metrics.registry,
  };
}
