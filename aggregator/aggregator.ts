// Aggregator entry for code: startAggregator() runs the fold loop in-process (tests, the one-machine stack, main.ts).
import { Gauge, type Registry } from "prom-client";
import type { Config } from "../core/config.js";
import { createLogger, type Logger } from "../core/logger.js";
import { closeRedis, createRedis, onReconnect, type RedisClient } from "../core/redis.js";
import { openStore } from "../core/store/index.js";
import { withTimeout } from "../core/timeout.js";
import { FoldLoop, type FoldLoopStats } from "./fold-loop.js";
import { HistoryRecorder } from "./history.js";
import { LeaderLease } from "./lease.js";
import { createAggregatorMetrics } from "./metrics.js";
import { MilestoneNotifier } from "./milestone-notifier.js";
import type { MilestoneSender } from "./milestone-payload.js";
import { lambdaSender } from "./notify-lambda.js";
import { webhookSender } from "./notify-webhook.js";
import { ThrottledLog } from "./throttled-log.js";

const releaseTimeoutMs = 1000;

export interface AggregatorOptions {
  readonly config: Config;
  readonly logger?: Logger;
  /** A client to use instead of creating one; the caller keeps ownership and closes it. */
  readonly redis?: RedisClient;
  /** The lease length; LEASE_MS (config.leaseMs) by default. */
  readonly leaseMs?: number;
  /** Registry for the aggregator's metrics; a fresh one by default. */
  readonly registry?: Registry;
  /** How often the milestone outbox is polled (default 250 ms). */
  readonly notifyPollMs?: number;
}

/** The delivery targets configured: MILESTONE_WEBHOOK_URL and/or MILESTONE_FUNCTION. */
function milestoneSenders(config: Config): MilestoneSender[] {
  const senders: MilestoneSender[] = [];
  if (config.milestoneWebhookUrl) senders.push(webhookSender(config.milestoneWebhookUrl));
  if (config.milestoneFunction) senders.push(lambdaSender(config.milestoneFunction));
  return senders;
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
  const lease = new LeaderLease(store.lease, config.campaign, options.leaseMs ?? config.leaseMs);
  lease.startRenewing();
  const metrics = createAggregatorMetrics(options.registry);
  new Gauge({
    name: "sales_redis_connected",
    help: "1 while Redis answers this aggregator (a lease call succeeded within the last 3 s), else 0",
    registers: [metrics.registry],
    collect() {
      // Connection status alone stays "ready" while a paused or partitioned Redis never answers.
      const lastOk = lease.lastAnsweredAtMs;
      this.set(redis.status === "ready" && lastOk !== undefined && Date.now() - lastOk < 3000 ? 1 : 0);
    },
  });
  let redisReconnects = 0;
  const offReconnect = onReconnect(redis, () => {
    redisReconnects++;
    metrics.redisReconnects.inc();
  });
  const loop = new FoldLoop({ config, store, lease, logger, errors, metrics });
  const isLeader = () => loop.isLeader();
  const senders = milestoneSenders(config);
  const history = new HistoryRecorder({
    store,
    campaign: config.campaign,
    leaseToken: lease.token,
    isLeader,
    milestoneStep: config.milestoneStep,
    notificationTargets: senders.map((s) => s.target),
    logger,
  });
  const notifier = new MilestoneNotifier({
    store,
    campaign: config.campaign,
    leaseToken: lease.token,
    isLeader,
    senders,
    logger,
    metrics,
    timeoutMs: config.milestoneTimeoutMs,
    retryBaseMs: config.milestoneRetryBaseMs,
    retryMaxMs: config.milestoneRetryMaxMs,
    pollMs: options.notifyPollMs,
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
  notifier.start();

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await history.stop();
    await notifier.stop();
    await loop.stop();
    lease.stopRenewing();
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
