// Per-process (per Lambda container) singletons: config, logger, Redis client, writer. Created once, on first use.
import { type Config, parseConfig } from "../core/config.js";
import { createLogger, type Logger } from "../core/logger.js";
import { createRedis, type RedisClient } from "../core/redis.js";
import { CounterWriter } from "./counter-writer.js";
import { PaymentIngestor } from "./payment-ingestor.js";

export interface IngestRuntime {
  readonly config: Config;
  readonly logger: Logger;
  readonly redis: RedisClient;
  readonly writer: CounterWriter;
  readonly ingestor: PaymentIngestor;
}

/** Builds a runtime from explicit parts (tests, the local stack) or from the environment. */
export function createIngestRuntime(config: Config, redis?: RedisClient, logger?: Logger): IngestRuntime {
  const log = logger ?? createLogger("ingest", config.logLevel);
  const client = redis ?? createRedis(config, { name: "ingest", failFast: true });
  const writer = new CounterWriter(client, { shards: config.shards, dedupeTtlSeconds: config.dedupeTtlSeconds });
  const ingestor = new PaymentIngestor(writer, { campaign: config.campaign, currency: config.currency }, log);
  return { config, logger: log, redis: client, writer, ingestor };
}

let shared: IngestRuntime | undefined;

/** The container-wide runtime, from process.env; a bad configuration throws ConfigError listing every problem. */
export function ingestRuntime(): IngestRuntime {
  shared ??= createIngestRuntime(parseConfig(process.env));
  return shared;
}
