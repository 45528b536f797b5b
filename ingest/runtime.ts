// Per-process (per Lambda container) singletons: config, logger, Redis client, writer. Created once, on first use.
import { type Config, parseConfig } from "../core/config.js";
import { createLogger, type Logger } from "../core/logger.js";
import { createRedis, type RedisClient } from "../core/redis.js";
import { CounterWriter } from "./counter-writer.js";
import { DeadLetterStore } from "./dead-letters.js";
import { PaymentIngestor } from "./payment-ingestor.js";

export interface IngestRuntime {
  readonly config: Config;
  readonly logger: Logger;
  readonly redis: RedisClient;
  readonly writer: CounterWriter;
  readonly ingestor: PaymentIngestor;
  readonly deadLetters: DeadLetterStore;
}

/** Builds a runtime from explicit parts (tests, the local stack) or from the environment. */
export function createIngestRuntime(config: Config, redis?: RedisClient, logger?: Logger): IngestRuntime {
  const log = logger ?? createLogger("ingest", config.logLevel);
  const client = redis ?? createRedis(config, { name: "ingest", failFast: true });
  // Connection errors surface per request (batch item failures); here they are only logged.
  if (redis === undefined) client.on("error", (err: Error) => log.debug({ err }, "redis connection error"));
  const writer = new CounterWriter(client, { shards: config.shards, dedupeTtlSeconds: config.dedupeTtlSeconds });
  const ingestor = new PaymentIngestor(writer, { campaign: config.campaign, currency: config.currency }, log);
  const deadLetters = new DeadLetterStore(client, config.campaign, config.shards);
  return { config, logger: log, redis: client, writer, ingestor, deadLetters };
}

let shared: IngestRuntime | undefined;

/** The container-wide runtime, from process.env; a bad configuration throws ConfigError listing every problem. */
export function ingestRuntime(): IngestRuntime {
  shared ??= createIngestRuntime(parseConfig(process.env));
  return shared;
}
