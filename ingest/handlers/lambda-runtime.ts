// A Lambda container's start, shared by the four functions: secrets, then configuration and runtime; retried, never fatal.
import { type Config, parseConfig } from "../../core/config.js";
import type { CodedError } from "../../core/errors.js";
import { createLogger } from "../../core/logger.js";
import { onLambda } from "../domain/metrics.js";
import { type IngestRuntime, ingestRuntime } from "../domain/runtime.js";
import { coldStart } from "./cold-start.js";
import { loadRedisPasswordFromSecretsManager } from "./redis-password-secret.js";

export interface LambdaStartOptions {
  /** A function's own cold-start secret besides the Redis AUTH token (ingestHttp: INGEST_SECRET from SSM). */
  readonly loadSecret?: (env: NodeJS.ProcessEnv) => Promise<void>;
  /** What the function requires of the configuration (ingestHttp: INGEST_SECRET under STAGE=prod). */
  readonly check?: (config: Config) => void;
}

const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * The container's runtime, started on first use: the Redis AUTH token from Secrets Manager (every function connects to
 * ElastiCache with it) and the function's own secret, both before the configuration is parsed, then the Redis client.
 * A failure (a secret not readable, a setting missing) is logged once per attempt and handed to every caller until a
 * retry, at most once a second, succeeds (coldStart): the handlers answer it as a passing failure, never by crashing.
 */
export function lambdaRuntime(options: LambdaStartOptions = {}, env: NodeJS.ProcessEnv = process.env): () => Promise<IngestRuntime> {
  const log = createLogger("ingest", levels.includes(env.LOG_LEVEL ?? "") ? env.LOG_LEVEL : "info");
  let started: (() => Promise<IngestRuntime>) | undefined;
  return () => {
    started ??= coldStart(async () => {
      try {
        // Both at once: a cold start waits for one round trip, not two.
        await Promise.all([loadRedisPasswordFromSecretsManager(env), options.loadSecret?.(env)]);
        const config = parseConfig(env);
        options.check?.(config);
        return ingestRuntime(config);
      } catch (err) {
        log.fatal({ code: (err as CodedError).code }, (err as Error).message);
        throw err;
      }
    });
    return started();
  };
}

/** Lambda sets AWS_LAMBDA_FUNCTION_NAME: there the start runs in the init phase (top-level await), elsewhere on first use. */
export async function startDuringInit(runtime: () => Promise<IngestRuntime>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (onLambda(env)) await runtime().catch(() => undefined);
}
