// Per-process (per Lambda container) singletons: config, logger, Redis client, store, writer. Created once, on first use.
import { type Config, parseConfig } from "../../core/config.js";
import { createLogger, type Logger } from "../../core/logger.js";
import { createRedis, type RedisClient } from "../../core/redis.js";
import { assertNoEviction } from "../../core/redis-startup.js";
import { openStore, type Store } from "../../core/store/index.js";
import { CounterWriter } from "./counter-writer.js";
import { DeadLetters } from "./dead-letters.js";
import { PaymentIngestor } from "./payment-ingestor.js";

export interface IngestRuntime {
  readonly config: Config;
  readonly logger: Logger;
  readonly redis: RedisClient;
  readonly store: Store;
  readonly writer: CounterWriter;
  readonly ingestor: PaymentIngestor;
  readonly deadLetters: DeadLetters;
}

/** Builds a runtime from explicit parts (tests, the local stack) or from the environment. */
export function createIngestRuntime(config: Config, redis?: RedisClient, logger?: Logger): IngestRuntime {
  const log = logger ?? createLogger("ingest", config.logLevel);
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
  const ingestor = new PaymentIngestor(writer, { campaign: config.campaign, currency: config.currency }, log, checkRedis);
  const deadLetters = new DeadLetters(store.deadLetters, config.campaign);
  return { config, logger: log, redis: client, store, writer, ingestor, deadLetters };
}

let shared: IngestRuntime | undefined;

/** The container-wide runtime, from `config` or process.env; a bad configuration throws ConfigError listing every problem. */
export function ingestRuntime(config?: Config): IngestRuntime {
  shared ??= createIngestRuntime(config ?? parseConfig(process.env));
  return shared;
}
