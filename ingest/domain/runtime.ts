// Per-process (per Lambda container) singletons: config, logger, metrics, Redis client, store, writer. Created once, on first use.
import { type Config, parseConfig } from "../../core/config.js";
import { createLogger, type Logger } from "../../core/logger.js";
import { createRedis, type RedisClient } from "../../core/redis.js";
import { assertNoEviction } from "../../core/redis-startup.js";
import { openStore, type Store } from "../../core/store/index.js";
import { CounterWriter } from "./counter-writer.js";
import { DeadLetters } from "./dead-letters.js";
import { invocationLogFields } from "./invocation.js";
import { type IngestMetrics, loadIngestMetrics } from "./metrics.js";
import { PaymentIngestor } from "./payment-ingestor.js";

export interface IngestRuntime {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: IngestMetrics;
  readonly redis: RedisClient;
  readonly store: Store;
  readonly writer: CounterWriter;
  readonly ingestor: PaymentIngestor;
  readonly deadLetters: DeadLetters;
}

/**
 * The metrics backend of this process, chosen once when this module loads (before any handler runs): CloudWatch EMF
 * on Lambda, prom-client elsewhere. A bad METRICS_NAMESPACE fails the module load with the ConfigError naming it.
 */
const processMetrics: IngestMetrics = await loadIngestMetrics(process.env);

/** This process's metrics, also before a runtime exists (a container that could not start still reports what it answered). */
export function processIngestMetrics(): IngestMetrics {
  return processMetrics;
}

/** Builds a runtime from explicit parts (tests, the local stack) or from the environment. */
export function createIngestRuntime(
  config: Config,
  redis?: RedisClient,
  logger?: Logger,
  metrics: IngestMetrics = processMetrics,
): IngestRuntime {
  // Every line logged during a Lambda invocation carries its awsRequestId.
  const log = logger ?? createLogger("ingest", config.logLevel, { mixin: invocationLogFields });
  const client = redis ?? createRedis(config, { name: "ingest", failFast: true });
  // Connection errors surface per request (batch item failures); here they are only logged.
  if (redis === undefined) client.on("error", (err: Error) => log.debug({ err }, "redis connection error"));
  const warnedAtMs = new Map<string, number>();
  const onUnreplicated = (node: string) => {
    // Once a minute per node: a master left without replicas writes thousands of times a second.
    if (Date.now() - (warnedAtMs.get(node) ?? 0) < 60_000) return;
    warnedAtMs.set(node, Date.now());
    log.warn(
      { node, replicas: config.redisWaitReplicas },
      "Redis node has no replica connected: counts are acknowledged without waiting (REDIS_WAIT_REPLICAS cannot be met until a replica is back)",
    );
  };
  const store = openStore(client, { ...config, onUnreplicated });
  const writer = new CounterWriter(store.counters);
  // Once per container, before the first write: Lambda has no start-up hook that could refuse to run.
  let checked: Promise<void> | undefined;
  const checkRedis = () => {
    checked ??= assertNoEviction(client, config).catch((err: unknown) => {
      checked = undefined;
      throw err;
    });
    return checked;
  };
  const ingestor = new PaymentIngestor(writer, { campaign: config.campaign, currency: config.currency }, log, metrics, checkRedis);
  const deadLetters = new DeadLetters(store.deadLetters, config.campaign, metrics);
  return { config, logger: log, metrics, redis: client, store, writer, ingestor, deadLetters };
}

let shared: IngestRuntime | undefined;

/** The container-wide runtime, from `config` or process.env; a bad configuration throws ConfigError listing every problem. */
export function ingestRuntime(config?: Config): IngestRuntime {
  shared ??= createIngestRuntime(config ?? parseConfig(process.env));
  return shared;
}
