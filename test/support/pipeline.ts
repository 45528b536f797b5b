// Starts ingest gateway + aggregator + broadcaster in-process against a throwaway redis-server, for page and history tests.
import { expect } from "vitest";
import { type Aggregator, startAggregator } from "../../aggregator/aggregator.js";
import { type Broadcaster, startBroadcaster } from "../../broadcaster/server.js";
import type { Config } from "../../core/config.js";
import { createIngestRuntime, type IngestRuntime } from "../../ingest/domain/runtime.js";
import { createHttpHandler } from "../../ingest/handlers/ingest-http.js";
import { type RunningGateway, startGateway } from "../../ingest/local/api-gateway.js";
import { testConfig } from "./config.js";
import { payment } from "./counters.js";
import { RedisServer } from "./redis-server.js";

export interface Pipeline {
  readonly server: RedisServer;
  readonly config: Config;
  aggregator: Aggregator;
  broadcaster: Broadcaster;
  readonly base: string;
  post(amount: number, extra?: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export async function startPipeline(env: Record<string, string>): Promise<Pipeline> {
  const server = await RedisServer.start();
  const config = testConfig({ REDIS_URL: server.url, SHARDS: "8", HEARTBEAT_MS: "1000", INGEST_PORT: "0", BROADCASTER_PORT: "0", ...env });
  const runtime: IngestRuntime = createIngestRuntime(config);
  const gateway: RunningGateway = await startGateway({
    host: "127.0.0.1",
    port: 0,
    handler: createHttpHandler(() => runtime),
    logger: runtime.logger,
  });
  const aggregator = await startAggregator({ config });
  const broadcaster = await startBroadcaster({ config });
  const pipeline: Pipeline = {
    server,
    config,
    aggregator,
    broadcaster,
    base: `http://127.0.0.1:${broadcaster.port}`,
    async post(amount, extra = {}) {
      const res = await fetch(`http://127.0.0.1:${gateway.port}/v1/payments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payment({ amount, ...extra })),
      });
      expect(res.status).toBe(200);
    },
    async stop() {
      await pipeline.broadcaster.close();
      await pipeline.aggregator.stop();
      await gateway.close();
      runtime.redis.disconnect();
      await server.stop();
    },
  };
  return pipeline;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
